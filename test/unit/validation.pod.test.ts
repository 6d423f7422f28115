import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

/** A pod as a client sends it, defaulted like the registry does before validating. */
function pod(spec: Record<string, unknown> = {}, containers: Record<string, unknown>[] = [{ name: 'web', image: 'nginx:1.25' }]): KubeObject {
  const p: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers, ...spec } };
  applyDefaults('pods', p);
  return p;
}
const create = (p: KubeObject) => lines(validateCreate('pods', p));

describe('pod create', () => {
  it('accepts a minimal defaulted pod', () => {
    expect(create(pod())).toEqual([]);
  });

  it('requires containers', () => {
    expect(create(pod({}, []))).toEqual(['spec.containers: Required value']);
  });

  it('requires container name and image', () => {
    expect(create(pod({}, [{ name: 'web' }]))).toEqual(['spec.containers[0].image: Required value']);
    expect(create(pod({}, [{ image: 'nginx' }]))).toEqual(['spec.containers[0].name: Required value']);
  });

  it('checks container names as DNS labels and for uniqueness across init containers', () => {
    expect(create(pod({}, [{ name: 'Web', image: 'x' }]))[0]).toMatch(/^spec\.containers\[0\]\.name: Invalid value: "Web": a lowercase RFC 1123 label/);
    expect(create(pod({}, [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }]))).toEqual(['spec.containers[1].name: Duplicate value: "a"']);
    expect(create(pod({ initContainers: [{ name: 'a', image: 'x' }] }, [{ name: 'a', image: 'y' }]))).toEqual(['spec.initContainers[0].name: Duplicate value: "a"']);
  });

  it('rejects images padded with whitespace', () => {
    expect(create(pod({}, [{ name: 'a', image: ' nginx' }]))).toEqual(['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']);
  });

  it('checks ports', () => {
    const errs = create(
      pod({}, [
        {
          name: 'a',
          image: 'x',
          ports: [{ containerPort: 0 }, { containerPort: 70000 }, { containerPort: 80, protocol: 'ICMP' }, { containerPort: 81, name: 'HTTP' }, { containerPort: 82, hostPort: -1 }],
        },
      ]),
    );
    expect(errs).toEqual([
      'spec.containers[0].ports[0].containerPort: Required value',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[3].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].ports[3].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
      'spec.containers[0].ports[4].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive',
    ]);
  });

  it('rejects duplicate port names and host port conflicts', () => {
    const errs = create(pod({}, [{ name: 'a', image: 'x', ports: [{ containerPort: 80, name: 'http', hostPort: 8080 }, { containerPort: 81, name: 'http', hostPort: 8080 }] }]));
    expect(errs).toEqual(['spec.containers[0].ports[1].name: Duplicate value: "http"', 'spec.containers[0].ports[1].hostPort: Duplicate value: "TCP//8080"']);
  });

  it('checks env names and valueFrom', () => {
    const errs = create(
      pod({}, [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: '' },
            { name: 'A=B', value: '1' },
            { name: 'OK', valueFrom: {} },
            { name: 'TWO', value: 'x', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
            { name: 'BADKEY', valueFrom: { secretKeyRef: { name: 's', key: 'a/b' } } },
          ],
        },
      ]),
    );
    expect(errs[0]).toBe('spec.containers[0].env[0].name: Required value');
    expect(errs[1]).toBe(`spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`);
    expect(errs[2]).toBe('spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
    expect(errs[3]).toBe('spec.containers[0].env[3].valueFrom: Invalid value: "": may not be specified when `value` is not empty');
    expect(errs[4]).toBe(
      'spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    );
    expect(errs[5]).toMatch(/^spec\.containers\[0\]\.env\[5\]\.valueFrom\.secretKeyRef\.key: Invalid value: "a\/b": a valid config key/);
    expect(errs).toHaveLength(6);
  });

  it('accepts downward API labels by key', () => {
    expect(create(pod({}, [{ name: 'a', image: 'x', env: [{ name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }] }]))).toEqual([]);
  });

  it('requires exactly one envFrom source', () => {
    expect(create(pod({}, [{ name: 'a', image: 'x', envFrom: [{ prefix: 'P_' }] }]))).toEqual([
      'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
    ]);
  });

  it('matches volumeMounts against volumes', () => {
    expect(create(pod({}, [{ name: 'a', image: 'x', volumeMounts: [{ name: 'x', mountPath: '/x' }] }]))).toEqual(['spec.containers[0].volumeMounts[0].name: Not found: "x"']);
    const ok = pod({ volumes: [{ name: 'x', emptyDir: {} }] }, [{ name: 'a', image: 'x', volumeMounts: [{ name: 'x', mountPath: '/x' }] }]);
    expect(create(ok)).toEqual([]);
    const errs = validateCreate('pods', pod({}, [{ name: 'a', image: 'x', volumeMounts: [{ name: 'x', mountPath: '/x' }] }]));
    expect(errs[0].type).toBe('FieldValueNotFound');
  });

  it('rejects duplicate mount paths and bad subPaths', () => {
    const p = pod({ volumes: [{ name: 'v', emptyDir: {} }] }, [
      { name: 'a', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/d' }, { name: 'v', mountPath: '/d', subPath: '../etc' }] },
    ]);
    expect(create(p)).toEqual([
      'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
      `spec.containers[0].volumeMounts.subPath: Invalid value: "../etc": must not contain '..'`,
    ]);
  });

  it('checks volume names and sources', () => {
    const errs = create(
      pod({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }, { name: 'Bad', emptyDir: {} }, { name: 'two', emptyDir: {}, hostPath: { path: '/tmp' } }, { name: 's', secret: {} }] }),
    );
    expect(errs[0]).toBe('spec.volumes[1].name: Duplicate value: "v"');
    expect(errs[1]).toMatch(/^spec\.volumes\[2\]\.name: Invalid value: "Bad": a lowercase RFC 1123 label/);
    expect(errs[2]).toBe('spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type');
    expect(errs[3]).toBe('spec.volumes[4].secret.secretName: Required value');
  });

  it('checks restartPolicy and dnsPolicy values', () => {
    expect(create(pod({ restartPolicy: 'Sometimes' }))).toEqual(['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
    expect(create(pod({ dnsPolicy: 'Google' }))).toEqual([
      'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]);
    expect(create(pod({ dnsPolicy: 'None' }))).toEqual(['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']);
  });

  it('reports missing defaults when defaulting was skipped', () => {
    const raw: KubeObject = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'x' }] } };
    expect(lines(validateCreate('pods', raw))).toEqual([
      'spec.terminationGracePeriodSeconds: Required value',
      'spec.containers[0].terminationMessagePolicy: Required value',
      'spec.containers[0].imagePullPolicy: Required value',
      'spec.restartPolicy: Required value',
      'spec.dnsPolicy: Required value',
    ]);
  });

  it('checks probes', () => {
    const errs = create(
      pod({}, [
        {
          name: 'a',
          image: 'x',
          livenessProbe: { httpGet: { port: 0 }, initialDelaySeconds: -1, successThreshold: 2 },
          readinessProbe: {},
          startupProbe: { exec: { command: [] }, tcpSocket: { port: 80 } },
        },
      ]),
    );
    expect(errs).toEqual([
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
      'spec.containers[0].startupProbe.exec.command: Required value',
      'spec.containers[0].startupProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ]);
  });

  it('forbids probes on plain init containers but allows them on sidecars', () => {
    expect(create(pod({ initContainers: [{ name: 'i', image: 'x', readinessProbe: { exec: { command: ['true'] } } }] }))).toEqual([
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
    expect(create(pod({ initContainers: [{ name: 'i', image: 'x', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } }] }))).toEqual([]);
    expect(create(pod({}, [{ name: 'a', image: 'x', restartPolicy: 'Always' }]))).toEqual(['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers']);
  });

  it('parses resource quantities and compares requests with limits', () => {
    const errs = create(pod({}, [{ name: 'a', image: 'x', resources: { limits: { cpu: '500m', memory: 'lots' }, requests: { cpu: '1', memory: '-1' } } }]));
    expect(errs).toEqual([
      `spec.containers[0].resources.limits[memory]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  it('checks resource names and extended resources', () => {
    // Pod defaulting copies limits into requests, so both lists report the bad name.
    expect(create(pod({}, [{ name: 'a', image: 'x', resources: { limits: { gpu: '1' } } }]))).toEqual([
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]);
    expect(create(pod({}, [{ name: 'a', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }]))).toEqual([
      'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources',
    ]);
    expect(create(pod({}, [{ name: 'a', image: 'x', resources: { limits: { 'example.com/gpu': '1' }, requests: { 'example.com/gpu': '1' } } }]))).toEqual([]);
    expect(create(pod({}, [{ name: 'a', image: 'x', resources: { requests: { 'example.com/gpu': '500m' }, limits: { 'example.com/gpu': '1' } } }]))).toEqual([
      'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
      'spec.containers[0].resources.requests: Invalid value: "500m": must be equal to example.com/gpu limit of 1',
    ]);
  });

  it('checks tolerations', () => {
    const errs = create(pod({ tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Maybe' }, { key: 'k', tolerationSeconds: 5, effect: 'NoSchedule' }] }));
    expect(errs).toEqual([
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      'spec.tolerations[1].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
      "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ]);
  });

  it('checks activeDeadlineSeconds, hostname and node selector', () => {
    expect(create(pod({ activeDeadlineSeconds: 0 }))).toEqual(['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']);
    expect(create(pod({ hostname: 'a.b' }))).toEqual(['spec.hostname: Invalid value: "a.b": must not contain dots']);
    expect(create(pod({ nodeSelector: { 'bad key': 'x' } }))[0]).toMatch(/^spec\.nodeSelector: Invalid value: "bad key"/);
  });

  it('requires hostPort to equal containerPort under hostNetwork', () => {
    const p = pod({ hostNetwork: true }, [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 81 }] }]);
    expect(create(p)).toEqual(['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true']);
  });

  it('forbids ephemeral containers on create', () => {
    expect(create(pod({ ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] }))).toEqual(['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });
});

describe('pod update', () => {
  const old = pod({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] });
  // KubeObject.spec is `any` by design (untyped JSON), so the mutators can reach into it freely.
  const update = (mutate: (spec: KubeObject["spec"]) => void) => {
    const n = JSON.parse(JSON.stringify(old)) as KubeObject;
    mutate(n.spec);
    applyDefaults('pods', n);
    return lines(validateUpdate('pods', n, old));
  };

  it('allows no-op updates and metadata changes', () => {
    expect(update(() => {})).toEqual([]);
  });

  it('allows image changes', () => {
    expect(update((s) => (s.containers[0].image = 'nginx:1.26'))).toEqual([]);
  });

  it('allows setting and lowering activeDeadlineSeconds', () => {
    expect(update((s) => (s.activeDeadlineSeconds = 100))).toEqual([]);
    const withDeadline = pod({ activeDeadlineSeconds: 100 });
    const raised = JSON.parse(JSON.stringify(withDeadline));
    raised.spec.activeDeadlineSeconds = 200;
    expect(lines(validateUpdate('pods', raised, withDeadline))).toEqual(['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);
    const removed = JSON.parse(JSON.stringify(withDeadline));
    delete removed.spec.activeDeadlineSeconds;
    expect(lines(validateUpdate('pods', removed, withDeadline))).toEqual(['spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value']);
  });

  it('allows adding tolerations and changing tolerationSeconds only', () => {
    expect(update((s) => s.tolerations.push({ key: 'b', operator: 'Exists' }))).toEqual([]);
    expect(update((s) => (s.tolerations[0].tolerationSeconds = 20))).toEqual([]);
    expect(update((s) => (s.tolerations = []))).toEqual(['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
  });

  it('forbids adding or removing containers', () => {
    expect(update((s) => s.containers.push({ name: 'b', image: 'x' }))).toEqual(['spec.containers: Forbidden: pod updates may not add or remove containers']);
  });

  it('forbids other spec changes with kube\'s message', () => {
    const errs = update((s) => (s.restartPolicy = 'Never'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`,`spec\.initContainers\[\*\]\.image`,`spec\.activeDeadlineSeconds`,`spec\.tolerations` \(only additions to existing tolerations\),`spec\.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
    );
    expect(errs[0]).toContain('restartPolicy');
    expect(update((s) => (s.containers[0].env = [{ name: 'A', value: 'b' }]))[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
  });

  it('still validates the new spec', () => {
    expect(update((s) => (s.containers[0].image = ''))).toContain('spec.containers[0].image: Required value');
  });
});
