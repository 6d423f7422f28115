// Column sets and cells for every non-pod printer, plus the registry fallback and selector formatting.
// Expected strings come from kubernetes pkg/printers/internalversion/printers.go (v1.32) behaviour.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src-main/api/types.js';
import {
  formatLabels,
  formatLabelSelector,
  PRINTED_RESOURCES,
  printerFor,
} from '../../src-main/apiserver/printers/index.js';

const now = new Date('2024-05-01T12:00:00Z');
const MIN = 60_000;
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, creationTimestamp: ago(5 * MIN), ...extra });

function cells(resource: string, obj: Omit<KubeObject, 'metadata'> & { metadata: KubeObject['metadata'] }): unknown[] {
  return printerFor(resource).cells(obj, now);
}

function columns(resource: string): [string, string, number][] {
  return printerFor(resource).columns.map((c) => [c.name, c.type, c.priority]);
}

describe('registry', () => {
  it('has a printer for every resource key the API server serves', () => {
    expect([...PRINTED_RESOURCES].sort()).toEqual(
      [
        'pods',
        'services',
        'nodes',
        'namespaces',
        'events',
        'endpoints',
        'configmaps',
        'secrets',
        'serviceaccounts',
        'deployments.apps',
        'replicasets.apps',
        'ingresses.networking.k8s.io',
        'ingressclasses.networking.k8s.io',
        'endpointslices.discovery.k8s.io',
        'leases.coordination.k8s.io',
      ].sort(),
    );
  });

  it('returns one cell per column, strings or integers only, for an almost empty object', () => {
    for (const key of PRINTED_RESOURCES) {
      const printer = printerFor(key);
      const row = printer.cells({ metadata: { name: 'x' } }, now);
      expect(row, key).toHaveLength(printer.columns.length);
      for (const cell of row) expect(['string', 'number'], key).toContain(typeof cell);
      for (const c of printer.columns) {
        expect(c.description.length, `${key} ${c.name}`).toBeGreaterThan(0);
        expect([0, 1]).toContain(c.priority);
      }
    }
  });

  it('falls back to Name + Age for unknown resources', () => {
    const p = printerFor('widgets.example.com');
    expect(columns('widgets.example.com')).toEqual([
      ['Name', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(p.columns[0].format).toBe('name');
    expect(p.cells({ metadata: meta('w1') }, now)).toEqual(['w1', '5m']);
    expect(p.cells({ metadata: { name: 'w2' } }, now)).toEqual(['w2', '<unknown>']);
  });
});

describe('deployments.apps', () => {
  const deploy = (extra: Record<string, unknown> = {}) => ({
    metadata: meta('web'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } },
    },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    ...extra,
  });

  it('has the real columns', () => {
    expect(columns('deployments.apps')).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Up-to-date', 'string', 0],
      ['Available', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
  });

  it('prints ready/desired, integer counts and the wide cells', () => {
    expect(cells('deployments.apps', deploy())).toEqual(['web', '2/3', 3, 2, '5m', 'nginx,log', 'nginx:1.27,busybox', 'app=web']);
  });

  it('prints 0/N for a fresh deployment and defaults replicas to 1', () => {
    const d = deploy({ status: undefined });
    expect(cells('deployments.apps', d).slice(1, 4)).toEqual(['0/3', 0, 0]);
    const noReplicas = deploy();
    delete (noReplicas.spec as { replicas?: number }).replicas;
    expect(cells('deployments.apps', noReplicas)[1]).toBe('2/1');
  });

  it('formats matchExpressions selectors', () => {
    const d = deploy();
    d.spec.selector = {
      matchLabels: { tier: 'front' },
      matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }],
    } as never;
    expect(cells('deployments.apps', d)[7]).toBe('app in (api,web),tier=front');
  });
});

describe('replicasets.apps', () => {
  it('has the real columns and integer cells', () => {
    expect(columns('replicasets.apps')).toEqual([
      ['Name', 'string', 0],
      ['Desired', 'integer', 0],
      ['Current', 'integer', 0],
      ['Ready', 'integer', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    const rs = {
      metadata: meta('web-7d4b9c'),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c' } },
        template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
      },
      status: { replicas: 3, readyReplicas: 1 },
    };
    expect(cells('replicasets.apps', rs)).toEqual([
      'web-7d4b9c',
      3,
      3,
      1,
      '5m',
      'nginx',
      'nginx:1.27',
      'app=web,pod-template-hash=7d4b9c',
    ]);
  });

  it('prints <none> for a missing selector', () => {
    expect(cells('replicasets.apps', { metadata: meta('rs'), spec: {} })[7]).toBe('<none>');
  });
});

describe('services', () => {
  const svc = (spec: Record<string, unknown>, status?: unknown) => ({ metadata: meta('web'), spec, status });

  it('has the real columns', () => {
    expect(columns('services')).toEqual([
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Cluster-IP', 'string', 0],
      ['External-IP', 'string', 0],
      ['Port(s)', 'string', 0],
      ['Age', 'string', 0],
      ['Selector', 'string', 1],
    ]);
  });

  it('prints a ClusterIP service', () => {
    const s = svc({
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
      selector: { tier: 'front', app: 'web' },
    });
    expect(cells('services', s)).toEqual(['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP,53/UDP', '5m', 'app=web,tier=front']);
  });

  it('prints node ports, external IPs and <none> for empty ports and selector', () => {
    const s = svc({ type: 'NodePort', clusterIP: '10.96.0.11', externalIPs: ['1.2.3.4', '5.6.7.8'], ports: [{ port: 80, nodePort: 30080 }] });
    expect(cells('services', s)).toEqual(['web', 'NodePort', '10.96.0.11', '1.2.3.4,5.6.7.8', '80:30080/TCP', '5m', '<none>']);
    expect(cells('services', svc({ clusterIP: 'None' })).slice(1, 5)).toEqual(['ClusterIP', 'None', '<none>', '<none>']);
    expect(cells('services', svc({}))[2]).toBe('<none>');
  });

  it('prints <pending> for a LoadBalancer without ingress, else the sorted ingress points', () => {
    expect(cells('services', svc({ type: 'LoadBalancer', clusterIP: '10.96.0.12' }))[3]).toBe('<pending>');
    const lb = svc(
      { type: 'LoadBalancer', clusterIP: '10.96.0.12' },
      { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.1' }, { ip: '203.0.113.9' }] } },
    );
    // Wide (server-side) output is never clipped to 16 characters.
    expect(cells('services', lb)[3]).toBe('203.0.113.1,203.0.113.9,lb.example.com');
    const withExternal = svc({ type: 'LoadBalancer', externalIPs: ['1.2.3.4'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } });
    expect(cells('services', withExternal)[3]).toBe('203.0.113.1,1.2.3.4');
  });

  it('prints the externalName of an ExternalName service', () => {
    expect(cells('services', svc({ type: 'ExternalName', externalName: 'db.example.com' })).slice(1, 5)).toEqual([
      'ExternalName',
      '<none>',
      'db.example.com',
      '<none>',
    ]);
  });
});

describe('nodes', () => {
  const node = (extra: { labels?: Record<string, string>; spec?: unknown; status?: unknown } = {}) => ({
    metadata: meta('node-1', { labels: extra.labels }),
    spec: extra.spec,
    status: extra.status ?? {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'Hostname', address: 'node-1' },
        { type: 'InternalIP', address: '172.18.0.2' },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.32.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.8.0',
        containerRuntimeVersion: 'containerd://1.7.24',
      },
    },
  });

  it('has the real columns', () => {
    expect(columns('nodes')).toEqual([
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Roles', 'string', 0],
      ['Age', 'string', 0],
      ['Version', 'string', 0],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ]);
  });

  it('prints a ready worker', () => {
    expect(cells('nodes', node())).toEqual([
      'node-1',
      'Ready',
      '<none>',
      '5m',
      'v1.32.0',
      '172.18.0.2',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.8.0',
      'containerd://1.7.24',
    ]);
  });

  it('derives the status from the Ready condition and cordoning', () => {
    expect(cells('nodes', node({ spec: { unschedulable: true } }))[1]).toBe('Ready,SchedulingDisabled');
    expect(cells('nodes', node({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }))[1]).toBe('NotReady');
    expect(cells('nodes', node({ status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }))[1]).toBe('NotReady');
    expect(cells('nodes', node({ status: {}, spec: { unschedulable: true } }))[1]).toBe('Unknown,SchedulingDisabled');
  });

  it('collects roles from both role label styles, sorted and de-duplicated', () => {
    const labels = {
      'node-role.kubernetes.io/control-plane': '',
      'node-role.kubernetes.io/': '',
      'kubernetes.io/role': 'master',
      'node-role.kubernetes.io/master': '',
      'kubernetes.io/hostname': 'node-1',
    };
    expect(cells('nodes', node({ labels }))[2]).toBe('control-plane,master');
  });

  it('prints <unknown> for missing system info', () => {
    expect(cells('nodes', node({ status: {} })).slice(4)).toEqual(['', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
  it('namespaces: Name, Status, Age', () => {
    expect(columns('namespaces')).toEqual([
      ['Name', 'string', 0],
      ['Status', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('namespaces', { metadata: meta('default'), status: { phase: 'Active' } })).toEqual(['default', 'Active', '5m']);
    expect(cells('namespaces', { metadata: meta('gone'), status: { phase: 'Terminating' } })[1]).toBe('Terminating');
  });

  it('configmaps: Data counts data and binaryData keys', () => {
    expect(columns('configmaps')).toEqual([
      ['Name', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('configmaps', { metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['cfg', 3, '5m']);
    expect(cells('configmaps', { metadata: meta('empty') })).toEqual(['empty', 0, '5m']);
  });

  it('secrets: Type and Data', () => {
    expect(columns('secrets')).toEqual([
      ['Name', 'string', 0],
      ['Type', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('secrets', { metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } })).toEqual([
      'tls',
      'kubernetes.io/tls',
      2,
      '5m',
    ]);
  });

  it('serviceaccounts: Secrets counts secret references', () => {
    expect(columns('serviceaccounts')).toEqual([
      ['Name', 'string', 0],
      ['Secrets', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('serviceaccounts', { metadata: meta('default') })).toEqual(['default', 0, '5m']);
    expect(cells('serviceaccounts', { metadata: meta('bot'), secrets: [{ name: 'bot-token' }] })).toEqual(['bot', 1, '5m']);
  });

  it('leases: Holder', () => {
    expect(columns('leases.coordination.k8s.io')).toEqual([
      ['Name', 'string', 0],
      ['Holder', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('leases.coordination.k8s.io', { metadata: meta('node-1'), spec: { holderIdentity: 'node-1' } })).toEqual([
      'node-1',
      'node-1',
      '5m',
    ]);
    expect(cells('leases.coordination.k8s.io', { metadata: meta('free'), spec: {} })[1]).toBe('');
  });
});

describe('events', () => {
  const event = (extra: Record<string, unknown> = {}) => ({
    metadata: meta('web-1.17c8a'),
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled',
    message: '  Successfully pulled image "nginx"\n',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(10 * MIN),
    lastTimestamp: ago(2 * MIN),
    count: 4,
    ...extra,
  });

  it('has the printEvent column order', () => {
    expect(columns('events')).toEqual([
      ['Last Seen', 'string', 0],
      ['Type', 'string', 0],
      ['Reason', 'string', 0],
      ['Object', 'string', 0],
      ['Subobject', 'string', 1],
      ['Source', 'string', 1],
      ['Message', 'string', 0],
      ['First Seen', 'string', 1],
      ['Count', 'string', 1],
      ['Name', 'string', 1],
    ]);
    expect(printerFor('events').columns[9].format).toBe('name');
  });

  it('prints a classic event', () => {
    expect(cells('events', event())).toEqual([
      '2m',
      'Normal',
      'Pulled',
      'pod/web-1',
      'spec.containers{nginx}',
      'kubelet, node-1',
      'Successfully pulled image "nginx"',
      '10m',
      4,
      'web-1.17c8a',
    ]);
  });

  it('falls back to eventTime, reporting fields and count 1 for events.k8s.io-style events', () => {
    const e = event({
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: ago(30_000),
      count: undefined,
      source: {},
      reportingComponent: 'deployment-controller',
      reportingInstance: '',
      involvedObject: { kind: 'Deployment', name: 'web' },
    });
    const row = cells('events', e);
    expect(row[0]).toBe('30s');
    expect(row[3]).toBe('deployment/web');
    expect(row[5]).toBe('deployment-controller');
    expect(row[7]).toBe('30s');
    expect(row[8]).toBe(1);
  });

  it('uses the series for Last Seen and Count', () => {
    const row = cells('events', event({ series: { count: 12, lastObservedTime: ago(MIN) } }));
    expect([row[0], row[8]]).toEqual(['60s', 12]);
  });

  it('prints the kind alone when the object has no name, and <unknown> without any time', () => {
    const row = cells('events', event({ involvedObject: { kind: 'Node' }, firstTimestamp: undefined, lastTimestamp: undefined }));
    expect([row[0], row[3], row[7]]).toEqual(['<unknown>', 'node', '<unknown>']);
  });
});

describe('endpoints', () => {
  it('has the real columns', () => {
    expect(columns('endpoints')).toEqual([
      ['Name', 'string', 0],
      ['Endpoints', 'string', 0],
      ['Age', 'string', 0],
    ]);
  });

  it('lists ip:port pairs, at most three, then "+ N more..."', () => {
    const ep = {
      metadata: meta('web'),
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
          ports: [{ port: 80 }, { port: 443 }],
        },
      ],
    };
    expect(cells('endpoints', ep)).toEqual(['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...', '5m']);
    const three = { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [{ port: 80 }] }] };
    expect(cells('endpoints', three)[1]).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80');
  });

  it('prints <none> without subsets, bare IPs without ports, and brackets IPv6', () => {
    expect(cells('endpoints', { metadata: meta('empty') })[1]).toBe('<none>');
    expect(cells('endpoints', { metadata: meta('h'), subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] })[1]).toBe('10.0.0.1');
    expect(cells('endpoints', { metadata: meta('v6'), subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] })[1]).toBe('[fd00::1]:80');
    // Subsets that exist but hold no address print as an empty string, as in Kubernetes.
    expect(cells('endpoints', { metadata: meta('nr'), subsets: [{ notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] }] })[1]).toBe('');
  });
});

describe('endpointslices.discovery.k8s.io', () => {
  it('has the real columns', () => {
    expect(columns('endpointslices.discovery.k8s.io')).toEqual([
      ['Name', 'string', 0],
      ['AddressType', 'string', 0],
      ['Ports', 'string', 0],
      ['Endpoints', 'string', 0],
      ['Age', 'string', 0],
    ]);
  });

  it('lists ports and addresses with "+ N more..." and <unset> when empty', () => {
    const slice = {
      metadata: meta('web-abc12'),
      addressType: 'IPv4',
      ports: [{ port: 80 }, { name: 'metrics' }, {}, { port: 9000 }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }, { addresses: ['10.0.0.5'] }],
    };
    expect(cells('endpointslices.discovery.k8s.io', slice)).toEqual([
      'web-abc12',
      'IPv4',
      '80,metrics,* + 1 more...',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...',
      '5m',
    ]);
    expect(cells('endpointslices.discovery.k8s.io', { metadata: meta('e'), addressType: 'IPv4', endpoints: null, ports: null }).slice(2, 4)).toEqual([
      '<unset>',
      '<unset>',
    ]);
  });
});

describe('ingresses.networking.k8s.io', () => {
  const ing = (spec: Record<string, unknown>, status?: unknown) => ({ metadata: meta('web'), spec, status });

  it('has the real columns', () => {
    expect(columns('ingresses.networking.k8s.io')).toEqual([
      ['Name', 'string', 0],
      ['Class', 'string', 0],
      ['Hosts', 'string', 0],
      ['Address', 'string', 0],
      ['Ports', 'string', 0],
      ['Age', 'string', 0],
    ]);
  });

  it('prints class, hosts, address and TLS ports', () => {
    const i = ing(
      { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
      { loadBalancer: { ingress: [{ ip: '172.18.0.3' }, { ip: '172.18.0.2' }] } },
    );
    expect(cells('ingresses.networking.k8s.io', i)).toEqual(['web', 'nginx', 'a.example.com,b.example.com', '172.18.0.2,172.18.0.3', '80, 443', '5m']);
  });

  it('prints <none> class, * hosts, empty address and port 80 for a bare ingress', () => {
    expect(cells('ingresses.networking.k8s.io', ing({ rules: [{ http: { paths: [] } }] }))).toEqual(['web', '<none>', '*', '', '80', '5m']);
  });

  it('truncates hosts after three, counting every remaining rule', () => {
    const rules = [{ host: 'a' }, { host: 'b' }, {}, { host: 'c' }, { host: 'd' }, {}];
    expect(cells('ingresses.networking.k8s.io', ing({ rules }))[2]).toBe('a,b,c + 3 more...');
  });
});

describe('ingressclasses.networking.k8s.io', () => {
  it('prints controller and parameters reference', () => {
    expect(columns('ingressclasses.networking.k8s.io')).toEqual([
      ['Name', 'string', 0],
      ['Controller', 'string', 0],
      ['Parameters', 'string', 0],
      ['Age', 'string', 0],
    ]);
    const withParams = {
      metadata: meta('nginx'),
      spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } },
    };
    expect(cells('ingressclasses.networking.k8s.io', withParams)).toEqual([
      'nginx',
      'k8s.io/ingress-nginx',
      'IngressParameters.k8s.example.com/external-lb',
      '5m',
    ]);
    const core = { metadata: meta('c'), spec: { controller: 'x', parameters: { kind: 'ConfigMap', name: 'cfg' } } };
    expect(cells('ingressclasses.networking.k8s.io', core)[2]).toBe('ConfigMap/cfg');
    expect(cells('ingressclasses.networking.k8s.io', { metadata: meta('n'), spec: { controller: 'x' } })[2]).toBe('<none>');
  });
});

describe('label formatting', () => {
  it('formatLabels sorts k=v pairs and prints <none> when empty', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  it('formatLabelSelector follows metav1.FormatLabelSelector', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['b', 'a'] }] })).toBe('app in (a,b)');
    expect(
      formatLabelSelector({
        matchLabels: { z: '1' },
        matchExpressions: [
          { key: 'env', operator: 'NotIn', values: ['prod'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'app', operator: 'Exists' },
        ],
      }),
    ).toBe('app,!canary,env notin (prod),z=1');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector(undefined)).toBe('<none>');
  });

  it('prints <error> for selectors that Kubernetes rejects', () => {
    expect(formatLabelSelector({ matchExpressions: [{ key: 'app', operator: 'In', values: [] }] })).toBe('<error>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] })).toBe('<error>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'app', operator: 'Gt' as never, values: ['1'] }] })).toBe('<error>');
    expect(formatLabelSelector({ matchLabels: { 'bad key': 'v' } })).toBe('<error>');
    expect(formatLabelSelector({ matchLabels: { app: 'bad value!' } })).toBe('<error>');
    expect(formatLabelSelector({ matchLabels: { 'example.com/app': 'web' } })).toBe('example.com/app=web');
  });

  it('deployments print an empty selector as "" and an invalid one as <invalid>, like printDeployment', () => {
    const d = (selector: unknown) => ({ metadata: meta('d'), spec: { selector, template: { spec: { containers: [] } } } });
    expect(cells('deployments.apps', d({}))[7]).toBe('');
    expect(cells('deployments.apps', d({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }))[7]).toBe('<invalid>');
  });
});
