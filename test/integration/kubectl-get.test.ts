import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { kubectlInBackground, parseTable, parseTables, type Doc } from '../helpers/kubectlTools.js';
import { until } from '../helpers/wait.js';

// `kubectl get` as a user runs it against a real cluster: the server-side Table columns of every
// kind Flotilla serves, the output formats, selectors, -A, --sort-by, `get all`, `get -w`, and the
// discovery commands. Everything below drives the real /usr/bin/kubectl.

let c: TestCluster;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const THIRTY_MIN = 30 * 60_000;

const FIXTURES = `
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {node-role.kubernetes.io/control-plane: "", kubernetes.io/hostname: node-1}
status:
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status}]
  addresses: [{type: InternalIP, address: 172.18.0.2}, {type: Hostname, address: node-1}]
  nodeInfo:
    kubeletVersion: v1.32.0
    osImage: Flotilla Node 1.0
    kernelVersion: 6.8.0-flotilla
    containerRuntimeVersion: docker://27.3.1
    architecture: amd64
    operatingSystem: linux
---
apiVersion: v1
kind: Node
metadata: {name: node-2}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: "False", reason: KubeletNotReady}]
  addresses: [{type: InternalIP, address: 172.18.0.3}, {type: ExternalIP, address: 203.0.113.7}]
  nodeInfo: {kubeletVersion: v1.31.4, osImage: Flotilla Node 1.0, kernelVersion: 6.8.0-flotilla, containerRuntimeVersion: docker://27.3.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web, tier: fe}}
spec:
  containers: [{name: nginx, image: nginx:1.25, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, labels: {app: web, tier: be}}
spec:
  containers: [{name: nginx, image: nginx:1.25}]
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, labels: {app: db}}
spec:
  containers: [{name: postgres, image: postgres:16}]
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: team-a, labels: {app: api}}
spec:
  containers: [{name: api, image: example/api:2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.25}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, labels: {app: cache}}
spec:
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: redis, image: redis:7}, {name: exporter, image: oliver006/redis_exporter:v1.62.0}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: example/api:2}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-7d4b9c8f5, labels: {app: web, pod-template-hash: 7d4b9c8f5}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web, pod-template-hash: 7d4b9c8f5}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 7d4b9c8f5}}
    spec: {containers: [{name: nginx, image: nginx:1.25}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80, nodePort: 30080}, {name: dns, port: 53, protocol: UDP, nodePort: 30053}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets: [{addresses: [{ip: 10.244.1.5}, {ip: 10.244.1.6}], ports: [{name: http, port: 8080}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, labels: {app: web}}
data: {LOG_LEVEL: debug, FEATURE_X: "on"}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Secret
metadata: {name: registry-creds}
type: kubernetes.io/dockerconfigjson
stringData: {.dockerconfigjson: '{"auths":{}}'}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: v1
kind: Event
metadata: {name: web-1.17f3a2b4c5d6e7f8}
involvedObject: {kind: Pod, name: web-1, namespace: default, apiVersion: v1}
reason: Scheduled
message: Successfully assigned default/web-1 to node-1
type: Normal
source: {component: default-scheduler}
firstTimestamp: "${ago(THIRTY_MIN)}"
lastTimestamp: "${ago(THIRTY_MIN)}"
count: 1
---
apiVersion: v1
kind: Event
metadata: {name: web-2.17f3a2b4c5d6e7f9}
involvedObject: {kind: Pod, name: web-2, namespace: default, apiVersion: v1, fieldPath: "spec.containers{nginx}"}
reason: BackOff
message: Back-off pulling image "nginx:1.25"
type: Warning
source: {component: kubelet, host: node-1}
firstTimestamp: "${ago(THIRTY_MIN)}"
lastTimestamp: "${ago(THIRTY_MIN)}"
count: 4
`;

async function patchStatus(path: string, status: unknown): Promise<void> {
  const r = await c.request('PATCH', path, { status }, { 'Content-Type': 'application/merge-patch+json' });
  if (r.status !== 200) throw new Error(`PATCH ${path}: ${r.status} ${r.text}`);
}

async function bind(ns: string, pod: string, node: string): Promise<void> {
  const r = await c.request('POST', `/api/v1/namespaces/${ns}/pods/${pod}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod }, target: { kind: 'Node', name: node } });
  if (r.status !== 201) throw new Error(`binding ${pod}: ${r.status} ${r.text}`);
}

function runningStatus(ip: string, restarts = 0, lastRestart?: string) {
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: '172.18.0.2',
    startTime: ago(THIRTY_MIN),
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      {
        name: 'nginx',
        ready: true,
        started: true,
        restartCount: restarts,
        image: 'docker.io/library/nginx:1.25',
        imageID: 'docker.io/library/nginx@sha256:0000',
        containerID: 'docker://abc',
        state: { running: { startedAt: ago(60_000) } },
        lastState: lastRestart ? { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(THIRTY_MIN), finishedAt: lastRestart } } : {},
      },
    ],
  };
}

beforeAll(async () => {
  c = await startTestCluster();
  await c.kubectlOK(['apply', '-f', '-'], { input: FIXTURES });
  await bind('default', 'web-1', 'node-1');
  await patchStatus('/api/v1/namespaces/default/pods/web-1/status', runningStatus('10.244.1.5', 2, ago(5 * 60_000 + 10_000)));
  await patchStatus('/apis/apps/v1/namespaces/default/deployments/web/status', { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 });
  await patchStatus('/apis/apps/v1/namespaces/default/replicasets/web-7d4b9c8f5/status', { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
});

afterAll(async () => {
  await c?.stop();
});

const AGE = /^\d+s$/;

describe('kubectl get: server-side table columns', () => {
  it('pods: default and -o wide columns', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'pods']));
    expect(t.headers).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(t.rows.map((r) => r.NAME)).toEqual(['db-1', 'web-1', 'web-2']);
    const web1 = t.rows.find((r) => r.NAME === 'web-1')!;
    expect(web1).toMatchObject({ READY: '1/1', STATUS: 'Running' });
    expect(web1.RESTARTS).toMatch(/^2 \(5m1\ds ago\)$/); // the last restart finished 5m10s before beforeAll
    expect(web1.AGE).toMatch(AGE);
    expect(t.rows.find((r) => r.NAME === 'web-2')).toMatchObject({ READY: '0/1', STATUS: 'Pending', RESTARTS: '0' });

    const w = parseTable(await c.kubectlOK(['get', 'pods', '-o', 'wide']));
    expect(w.headers).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(w.rows.find((r) => r.NAME === 'web-1')).toMatchObject({ IP: '10.244.1.5', NODE: 'node-1', 'NOMINATED NODE': '<none>', 'READINESS GATES': '<none>' });
    expect(w.rows.find((r) => r.NAME === 'web-2')).toMatchObject({ IP: '<none>', NODE: '<none>' });
  });

  it('a single pod by name and by short name', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'po', 'web-1']));
    expect(t.headers).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0]).toMatchObject({ NAME: 'web-1', STATUS: 'Running' });
  });

  it('deployments: default and -o wide columns', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'deployments']));
    expect(t.headers).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    expect(t.rows.find((r) => r.NAME === 'web')).toMatchObject({ READY: '2/3', 'UP-TO-DATE': '3', AVAILABLE: '2' });
    expect(t.rows.find((r) => r.NAME === 'cache')).toMatchObject({ READY: '0/1', 'UP-TO-DATE': '0', AVAILABLE: '0' });

    const w = parseTable(await c.kubectlOK(['get', 'deploy', '-o', 'wide']));
    expect(w.headers).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(w.rows.find((r) => r.NAME === 'web')).toMatchObject({ CONTAINERS: 'nginx', IMAGES: 'nginx:1.25', SELECTOR: 'app=web' });
    expect(w.rows.find((r) => r.NAME === 'cache')).toMatchObject({ CONTAINERS: 'redis,exporter', IMAGES: 'redis:7,oliver006/redis_exporter:v1.62.0', SELECTOR: 'app=cache' });
  });

  it('replicasets: default and -o wide columns', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'rs']));
    expect(t.headers).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(t.rows).toEqual([{ NAME: 'web-7d4b9c8f5', DESIRED: '3', CURRENT: '3', READY: '2', AGE: expect.stringMatching(AGE) }]);
    const w = parseTable(await c.kubectlOK(['get', 'replicasets', '-o', 'wide']));
    expect(w.headers).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(w.rows[0]).toMatchObject({ CONTAINERS: 'nginx', IMAGES: 'nginx:1.25', SELECTOR: 'app=web,pod-template-hash=7d4b9c8f5' });
  });

  it('services: default and -o wide columns, allocated cluster IPs and node ports', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'svc']));
    expect(t.headers).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    expect(t.rows.map((r) => r.NAME)).toEqual(['kubernetes', 'web', 'web-np']);
    expect(t.rows[0]).toMatchObject({ TYPE: 'ClusterIP', 'CLUSTER-IP': '10.96.0.1', 'EXTERNAL-IP': '<none>', 'PORT(S)': '443/TCP' });
    expect(t.rows[1]).toMatchObject({ TYPE: 'ClusterIP', 'EXTERNAL-IP': '<none>', 'PORT(S)': '80/TCP' });
    expect(t.rows[1]!['CLUSTER-IP']).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(t.rows[2]).toMatchObject({ TYPE: 'NodePort', 'PORT(S)': '80:30080/TCP,53:30053/UDP' });
    const w = parseTable(await c.kubectlOK(['get', 'services', '-o', 'wide']));
    expect(w.headers).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    expect(w.rows.map((r) => r.SELECTOR)).toEqual(['<none>', 'app=web', 'app=web']);
  });

  it('nodes (created with apply): default and -o wide columns', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'nodes']));
    expect(t.headers).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(t.rows).toEqual([
      { NAME: 'node-1', STATUS: 'Ready', ROLES: 'control-plane', AGE: expect.stringMatching(AGE), VERSION: 'v1.32.0' },
      { NAME: 'node-2', STATUS: 'NotReady,SchedulingDisabled', ROLES: '<none>', AGE: expect.stringMatching(AGE), VERSION: 'v1.31.4' },
    ]);
    const w = parseTable(await c.kubectlOK(['get', 'no', '-o', 'wide']));
    expect(w.headers).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(w.rows[0]).toMatchObject({ 'INTERNAL-IP': '172.18.0.2', 'EXTERNAL-IP': '<none>', 'OS-IMAGE': 'Flotilla Node 1.0', 'KERNEL-VERSION': '6.8.0-flotilla', 'CONTAINER-RUNTIME': 'docker://27.3.1' });
    expect(w.rows[1]).toMatchObject({ 'INTERNAL-IP': '172.18.0.3', 'EXTERNAL-IP': '203.0.113.7' });
  });

  it('namespaces', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'namespaces']));
    expect(t.headers).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(t.rows.map((r) => r.NAME)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system', 'team-a']);
    expect(new Set(t.rows.map((r) => r.STATUS))).toEqual(new Set(['Active']));
    expect(parseTable(await c.kubectlOK(['get', 'ns', 'team-a'])).rows).toEqual([{ NAME: 'team-a', STATUS: 'Active', AGE: expect.stringMatching(AGE) }]);
  });

  it('events (created with apply): default and -o wide columns', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'events']));
    expect(t.headers).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(t.rows).toContainEqual({ 'LAST SEEN': '30m', TYPE: 'Normal', REASON: 'Scheduled', OBJECT: 'pod/web-1', MESSAGE: 'Successfully assigned default/web-1 to node-1' });
    expect(t.rows).toContainEqual({ 'LAST SEEN': '30m', TYPE: 'Warning', REASON: 'BackOff', OBJECT: 'pod/web-2', MESSAGE: 'Back-off pulling image "nginx:1.25"' });
    const w = parseTable(await c.kubectlOK(['get', 'ev', '-o', 'wide']));
    expect(w.headers).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME']);
    expect(w.rows.find((r) => r.REASON === 'BackOff')).toMatchObject({
      SUBOBJECT: 'spec.containers{nginx}',
      SOURCE: 'kubelet, node-1',
      'FIRST SEEN': '30m',
      COUNT: '4',
      NAME: 'web-2.17f3a2b4c5d6e7f9',
    });
    expect(w.rows.find((r) => r.REASON === 'Scheduled')).toMatchObject({ SUBOBJECT: '', SOURCE: 'default-scheduler', COUNT: '1' });
  });

  it('endpoints, configmaps, secrets and ingresses', async () => {
    const ep = parseTable(await c.kubectlOK(['get', 'endpoints', 'web']));
    expect(ep.headers).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(ep.rows[0]).toMatchObject({ NAME: 'web', ENDPOINTS: '10.244.1.5:8080,10.244.1.6:8080' });

    const cm = parseTable(await c.kubectlOK(['get', 'configmaps']));
    expect(cm.headers).toEqual(['NAME', 'DATA', 'AGE']);
    expect(cm.rows).toEqual([{ NAME: 'app-config', DATA: '2', AGE: expect.stringMatching(AGE) }]);

    const sec = parseTable(await c.kubectlOK(['get', 'secrets']));
    expect(sec.headers).toEqual(['NAME', 'TYPE', 'DATA', 'AGE']);
    expect(sec.rows).toEqual([
      { NAME: 'app-secret', TYPE: 'Opaque', DATA: '1', AGE: expect.stringMatching(AGE) },
      { NAME: 'registry-creds', TYPE: 'kubernetes.io/dockerconfigjson', DATA: '1', AGE: expect.stringMatching(AGE) },
    ]);

    const ing = parseTable(await c.kubectlOK(['get', 'ingress']));
    expect(ing.headers).toEqual(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(ing.rows).toEqual([{ NAME: 'web', CLASS: 'nginx', HOSTS: 'web.example.com', ADDRESS: '', PORTS: '80', AGE: expect.stringMatching(AGE) }]);
  });

  it('"No resources found" for an empty namespace', async () => {
    const r = await c.kubectl(['get', 'pods', '-n', 'kube-public']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No resources found in kube-public namespace.\n');
  });
});

describe('kubectl get: output formats', () => {
  it('-o yaml of one object is the stored object, with server-set metadata and defaults', async () => {
    const obj = yaml.load(await c.kubectlOK(['get', 'deploy', 'web', '-o', 'yaml'])) as Doc;
    expect(obj).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', generation: 1, labels: { app: 'web' } } });
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(obj.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(obj.metadata.managedFields).toBeUndefined(); // kubectl hides them unless --show-managed-fields
    expect(obj.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(obj.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' });
    expect(obj.status).toMatchObject({ replicas: 3, readyReplicas: 2 });

    const withMF = yaml.load(await c.kubectlOK(['get', 'deploy', 'web', '-o', 'yaml', '--show-managed-fields'])) as Doc;
    expect(withMF.metadata.managedFields.map((m: Doc) => m.manager)).toContain('kubectl-client-side-apply');
  });

  it('-o json of a list is a v1 List', async () => {
    const list = JSON.parse(await c.kubectlOK(['get', 'pods', '-o', 'json']));
    expect(list.kind).toBe('List');
    expect(list.apiVersion).toBe('v1');
    expect(list.items.map((p: Doc) => `${p.kind}/${p.metadata.name}`)).toEqual(['Pod/db-1', 'Pod/web-1', 'Pod/web-2']);
    const one = JSON.parse(await c.kubectlOK(['get', 'pod', 'web-1', '-o', 'json']));
    expect(one).toMatchObject({ kind: 'Pod', spec: { nodeName: 'node-1' }, status: { phase: 'Running', podIP: '10.244.1.5' } });
  });

  it('-o name', async () => {
    expect(await c.kubectlOK(['get', 'pods', '-o', 'name'])).toBe('pod/db-1\npod/web-1\npod/web-2\n');
    expect(await c.kubectlOK(['get', 'deploy', '-o', 'name'])).toBe('deployment.apps/api\ndeployment.apps/cache\ndeployment.apps/web\n');
    expect(await c.kubectlOK(['get', 'ingress', 'web', '-o', 'name'])).toBe('ingress.networking.k8s.io/web\n');
  });

  it('-o jsonpath and -o custom-columns', async () => {
    expect(await c.kubectlOK(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('db-1 web-1 web-2');
    expect(await c.kubectlOK(['get', 'pod', 'web-1', '-o', 'jsonpath={.spec.containers[0].image} {.status.podIP}'])).toBe('nginx:1.25 10.244.1.5');
    expect(await c.kubectlOK(['get', 'svc', 'web-np', '-o', 'jsonpath={range .spec.ports[*]}{.nodePort}/{.protocol}{"\\n"}{end}'])).toBe('30080/TCP\n30053/UDP\n');
    const cc = parseTable(await c.kubectlOK(['get', 'deploy', '-o', 'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas']));
    expect(cc.rows).toEqual([
      { NAME: 'api', REPLICAS: '2' },
      { NAME: 'cache', REPLICAS: '1' },
      { NAME: 'web', REPLICAS: '3' },
    ]);
  });

  it('--show-labels and -L', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'pods', '--show-labels']));
    expect(t.headers).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'LABELS']);
    expect(t.rows.map((r) => [r.NAME, r.LABELS])).toEqual([
      ['db-1', 'app=db'],
      ['web-1', 'app=web,tier=fe'],
      ['web-2', 'app=web,tier=be'],
    ]);
    const l = parseTable(await c.kubectlOK(['get', 'pods', '-L', 'tier']));
    expect(l.headers).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'TIER']);
    expect(l.rows.map((r) => r.TIER)).toEqual(['', 'fe', 'be']);
  });
});

describe('kubectl get: selectors, namespaces, sorting', () => {
  const names = async (args: string[]) => (await c.kubectlOK([...args, '-o', 'name'])).split('\n').filter(Boolean);

  it('-l label selectors (equality, set-based, existence, negation)', async () => {
    expect(await names(['get', 'pods', '-l', 'app=web'])).toEqual(['pod/web-1', 'pod/web-2']);
    expect(await names(['get', 'pods', '-l', 'app==web,tier!=fe'])).toEqual(['pod/web-2']);
    expect(await names(['get', 'pods', '-l', 'tier in (fe,qa)'])).toEqual(['pod/web-1']);
    expect(await names(['get', 'pods', '-l', 'app notin (web)'])).toEqual(['pod/db-1']);
    expect(await names(['get', 'pods', '-l', 'tier'])).toEqual(['pod/web-1', 'pod/web-2']);
    expect(await names(['get', 'pods', '-l', '!tier'])).toEqual(['pod/db-1']);
    const none = await c.kubectl(['get', 'pods', '-l', 'app=nothing']);
    expect(none.stderr).toBe('No resources found in default namespace.\n');
    const bad = await c.kubectl(['get', 'pods', '-l', 'app in web']);
    expect(bad.code).not.toBe(0);
  });

  it('--field-selector', async () => {
    expect(await names(['get', 'pods', '--field-selector', 'status.phase=Running'])).toEqual(['pod/web-1']);
    expect(await names(['get', 'pods', '--field-selector', 'status.phase!=Running'])).toEqual(['pod/db-1', 'pod/web-2']);
    expect(await names(['get', 'pods', '--field-selector', 'spec.nodeName=node-1'])).toEqual(['pod/web-1']);
    expect(await names(['get', 'pods', '-A', '--field-selector', 'metadata.namespace=team-a'])).toEqual(['pod/api-1']);
    expect(await names(['get', 'pods', '--field-selector', 'metadata.name=web-2,status.phase=Pending'])).toEqual(['pod/web-2']);
    expect(await names(['get', 'events', '--field-selector', 'involvedObject.name=web-2,type=Warning'])).toEqual(['event/web-2.17f3a2b4c5d6e7f9']);
    const bad = await c.kubectl(['get', 'pods', '--field-selector', 'spec.color=blue']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.color=blue": field label not supported: spec.color\n');
  });

  it('-A adds the NAMESPACE column and lists every namespace', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'pods', '-A']));
    expect(t.headers).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(t.rows.map((r) => `${r.NAMESPACE}/${r.NAME}`)).toEqual(['default/db-1', 'default/web-1', 'default/web-2', 'team-a/api-1']);
    const n = parseTable(await c.kubectlOK(['get', 'pods', '-n', 'team-a']));
    expect(n.rows.map((r) => r.NAME)).toEqual(['api-1']);
  });

  it('--chunk-size pages through the list with continue tokens', async () => {
    const r = await c.kubectl(['get', 'pods', '-A', '--chunk-size=1', '-o', 'name', '-v=6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('pod/db-1\npod/web-1\npod/web-2\npod/api-1\n');
    expect(r.stderr.match(/GET https:\/\/\S+\/api\/v1\/pods\?continue=/g)).toHaveLength(3);
    const t = parseTable(await c.kubectlOK(['get', 'pods', '-A', '--chunk-size=2']));
    expect(t.rows.map((row) => row.NAME)).toEqual(['db-1', 'web-1', 'web-2', 'api-1']);
  });

  it('--sort-by (needs the full objects in the Table rows)', async () => {
    expect(await names(['get', 'deploy', '--sort-by=.spec.replicas'])).toEqual(['deployment.apps/cache', 'deployment.apps/api', 'deployment.apps/web']);
    const t = parseTable(await c.kubectlOK(['get', 'deploy', '--sort-by', '{.spec.replicas}']));
    expect(t.rows.map((r) => r.NAME)).toEqual(['cache', 'api', 'web']);
    expect(t.rows.map((r) => r.READY)).toEqual(['0/1', '0/2', '2/3']);
    const pods = parseTable(await c.kubectlOK(['get', 'pods', '-A', '--sort-by=.metadata.labels.app']));
    expect(pods.rows.map((r) => r.NAME)).toEqual(['api-1', 'db-1', 'web-1', 'web-2']);
  });

  it('kubectl get all lists pods, services, deployments and replicasets', async () => {
    const out = await c.kubectlOK(['get', 'all']);
    const tables = parseTables(out);
    expect(tables.map((t) => t.headers[1])).toEqual(['READY', 'TYPE', 'READY', 'DESIRED']);
    expect(tables[0]!.rows.map((r) => r.NAME)).toEqual(['pod/db-1', 'pod/web-1', 'pod/web-2']);
    expect(tables[1]!.rows.map((r) => r.NAME)).toEqual(['service/kubernetes', 'service/web', 'service/web-np']);
    expect(tables[2]!.rows.map((r) => r.NAME)).toEqual(['deployment.apps/api', 'deployment.apps/cache', 'deployment.apps/web']);
    expect(tables[3]!.rows.map((r) => r.NAME)).toEqual(['replicaset.apps/web-7d4b9c8f5']);
    expect(out).not.toMatch(/configmap|ingress|secret/);
    const all = parseTables(await c.kubectlOK(['get', 'all', '-A']));
    expect(all[0]!.headers[0]).toBe('NAMESPACE');
    expect(all[0]!.rows.map((r) => `${r.NAMESPACE} ${r.NAME}`)).toContain('team-a pod/api-1');
  });
});

describe('kubectl get -w', () => {
  it('prints ADDED, MODIFIED and DELETED rows for configmaps (--output-watch-events)', async () => {
    const w = kubectlInBackground(c, ['get', 'configmaps', '-w', '--output-watch-events'], { timeoutMs: 20_000 });
    try {
      await w.waitFor(/ADDED\s+app-config\s+2\s/);
      await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: "1"}\n' });
      await w.waitFor(/ADDED\s+watched\s+1\s+\d+s/);
      await c.kubectlOK(['patch', 'configmap', 'watched', '--type', 'merge', '-p', '{"data":{"b":"2","c":"3"}}']);
      await w.waitFor(/MODIFIED\s+watched\s+3\s/);
      await c.kubectlOK(['delete', 'configmap', 'watched']);
      const out = await w.waitFor(/DELETED\s+watched\s+3\s/);
      const lines = out.trim().split('\n');
      expect(lines[0]).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['ADDED app-config 2', 'ADDED watched 1', 'MODIFIED watched 3', 'DELETED watched 3']);
    } finally {
      await w.stop();
    }
    expect(w.stderr()).toBe('');
  });

  it('follows a pod through Pending, Running, Terminating and its deletion', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: watched, namespace: team-a}\nspec: {containers: [{name: nginx, image: nginx:1.25}]}\n' });
    const w = kubectlInBackground(c, ['get', 'pod', 'watched', '-n', 'team-a', '-w', '--output-watch-events'], { timeoutMs: 20_000 });
    try {
      await w.waitFor(/ADDED\s+watched\s+0\/1\s+Pending\s+0\s/);
      await bind('team-a', 'watched', 'node-1');
      await patchStatus('/api/v1/namespaces/team-a/pods/watched/status', runningStatus('10.244.2.9'));
      await w.waitFor(/MODIFIED\s+watched\s+1\/1\s+Running\s+0\s/);
      // A bound, running pod is deleted gracefully: it stays, Terminating, until its kubelet confirms.
      expect(await c.kubectlOK(['delete', 'pod', 'watched', '-n', 'team-a', '--wait=false'])).toBe('pod "watched" deleted\n');
      await w.waitFor(/MODIFIED\s+watched\s+1\/1\s+Terminating\s/);
      const force = await c.kubectl(['delete', 'pod', 'watched', '-n', 'team-a', '--grace-period=0', '--force']);
      expect(force.stdout).toBe('pod "watched" force deleted\n');
      await w.waitFor(/DELETED\s+watched\s+1\/1\s+Terminating\s/);
    } finally {
      await w.stop();
    }
  });

  it('with a label selector, an object that stops matching is DELETED for the watcher', async () => {
    // A marker the selector matches: once kubectl prints it, its list is done and its watch runs
    // from there, so it sees every change after this point.
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sel-marker, namespace: team-a, labels: {tier: x}}\n' });
    const w = kubectlInBackground(c, ['get', 'configmaps', '-n', 'team-a', '-l', 'tier=x', '-w', '--output-watch-events'], { timeoutMs: 20_000 });
    try {
      await w.waitFor(/ADDED\s+sel-marker\s/);
      await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sel, namespace: team-a}\ndata: {a: "1"}\n' });
      await c.kubectlOK(['label', 'cm', 'sel', '-n', 'team-a', 'tier=x']);
      await w.waitFor(/ADDED\s+sel\s/);
      await c.kubectlOK(['label', 'cm', 'sel', '-n', 'team-a', 'tier=y', '--overwrite']);
      await w.waitFor(/DELETED\s+sel\s/);
      await c.kubectlOK(['label', 'cm', 'sel', '-n', 'team-a', 'tier=x', '--overwrite']);
      await c.kubectlOK(['delete', 'cm', 'sel', '-n', 'team-a']);
      const out = await w.waitFor(/(DELETED\s+sel\s[^\n]*\n[^]*){2}/);
      expect(out.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['ADDED sel-marker', 'ADDED sel', 'DELETED sel', 'ADDED sel', 'DELETED sel']);
    } finally {
      await w.stop();
      await c.kubectlOK(['delete', 'cm', 'sel-marker', '-n', 'team-a']);
    }
  });

  it('--watch-only prints only changes, as plain table rows', async () => {
    const w = kubectlInBackground(c, ['get', 'secrets', '--watch-only'], { timeoutMs: 20_000 });
    try {
      await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Secret\nmetadata: {name: late}\ndata: {a: YQ==, b: Yg==}\n' });
      // kubectl may not be watching yet when `late` is created (then `late` is in its list, which
      // it does not print): change it until a change is printed.
      let n = 0;
      const out = await until(
        'kubectl to print a change to late',
        async () => {
          if (/late\s+Opaque\s+2\s+\d+s/.test(w.stdout())) return w.stdout();
          await c.kubectlOK(['label', 'secret', 'late', `change=${n++}`, '--overwrite']);
          return undefined;
        },
        undefined,
        200,
      );
      // Only changes: the first thing printed is the header, and the secrets it listed never appear.
      expect(out).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\n/);
      expect(out).not.toMatch(/app-secret/);
    } finally {
      await w.stop();
    }
  });
});

describe('discovery and raw endpoints', () => {
  it('kubectl version reports a 1.32 server', async () => {
    const out = await c.kubectlOK(['version']);
    expect(out).toMatch(/^Client Version: v1\.32\./m);
    expect(out).toMatch(/^Server Version: v1\.32\.\d+/m);
    const v = JSON.parse(await c.kubectlOK(['version', '-o', 'json']));
    expect(v.serverVersion).toMatchObject({ major: '1', minor: '32', platform: 'linux/amd64', compiler: 'gc' });
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.32\./);
  });

  it('kubectl cluster-info', async () => {
    const out = (await c.kubectlOK(['cluster-info'])).replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
    expect(out).toContain(`Kubernetes control plane is running at ${c.cp.url}\n`);
    expect(out).toContain("To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
  });

  it('kubectl api-versions', async () => {
    const lines = (await c.kubectlOK(['api-versions'])).trim().split('\n');
    expect(lines).toEqual(['apps/v1', 'coordination.k8s.io/v1', 'discovery.k8s.io/v1', 'networking.k8s.io/v1', 'v1']);
  });

  it('kubectl api-resources', async () => {
    const t = parseTable(await c.kubectlOK(['api-resources']));
    expect(t.headers).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const byName = Object.fromEntries(t.rows.map((r) => [r.NAME, r]));
    expect(byName.deployments).toEqual({ NAME: 'deployments', SHORTNAMES: 'deploy', APIVERSION: 'apps/v1', NAMESPACED: 'true', KIND: 'Deployment' });
    expect(byName.pods).toEqual({ NAME: 'pods', SHORTNAMES: 'po', APIVERSION: 'v1', NAMESPACED: 'true', KIND: 'Pod' });
    expect(byName.nodes).toEqual({ NAME: 'nodes', SHORTNAMES: 'no', APIVERSION: 'v1', NAMESPACED: 'false', KIND: 'Node' });
    expect(byName.ingresses).toEqual({ NAME: 'ingresses', SHORTNAMES: 'ing', APIVERSION: 'networking.k8s.io/v1', NAMESPACED: 'true', KIND: 'Ingress' });
    expect(byName.secrets).toMatchObject({ SHORTNAMES: '', KIND: 'Secret' });
    for (const r of ['configmaps', 'endpoints', 'events', 'namespaces', 'services', 'replicasets', 'leases', 'endpointslices', 'ingressclasses', 'serviceaccounts']) {
      expect(byName[r], r).toBeDefined();
    }
    expect(await c.kubectlOK(['api-resources', '--api-group=apps', '-o', 'name'])).toBe('deployments.apps\nreplicasets.apps\n');
    expect((await c.kubectlOK(['api-resources', '--namespaced=false', '-o', 'name'])).trim().split('\n')).toEqual(['namespaces', 'nodes', 'ingressclasses.networking.k8s.io']);
  });

  it('kubectl get --raw /version, /healthz, /openapi/v3', async () => {
    const v = JSON.parse(await c.kubectlOK(['get', '--raw', '/version']));
    expect(v).toMatchObject({ major: '1', minor: '32' });
    expect(await c.kubectlOK(['get', '--raw', '/healthz'])).toBe('ok');
    expect(await c.kubectlOK(['get', '--raw', '/readyz'])).toBe('ok');
    const root = JSON.parse(await c.kubectlOK(['get', '--raw', '/openapi/v3']));
    expect(Object.keys(root.paths).sort()).toEqual(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/networking.k8s.io/v1']);
    const url = root.paths['apis/apps/v1'].serverRelativeURL as string;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/);
    const doc = JSON.parse(await c.kubectlOK(['get', '--raw', url]));
    expect(doc.openapi).toMatch(/^3\./);
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: Doc) => p.name)).toContain('fieldValidation');
    const list = JSON.parse(await c.kubectlOK(['get', '--raw', '/api/v1/namespaces/default/configmaps']));
    expect(list).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    const missing = await c.kubectl(['get', '--raw', '/apis/nope/v1']);
    expect(missing.stderr).toBe('Error from server (NotFound): the server could not find the requested resource\n');
  });
});
