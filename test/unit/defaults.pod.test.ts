import { describe, expect, it } from 'vitest';
import { addDefaultTolerations, applyDefaults } from '../../src-main/api/defaults/index.js';
import { defaultPullPolicy, imageTag } from '../../src-main/api/defaults/image.js';
import { validateCreate } from '../../src-main/api/validation/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function pod(spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec } };
}

describe('image pull policy', () => {
  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['docker.io/library/nginx', 'Always'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['registry.example.com:5000/team/app:latest', 'Always'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
    ['Nginx', 'IfNotPresent'],
    ['', 'IfNotPresent'],
  ])('%s → %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('extracts tags', () => {
    expect(imageTag('a/b:c')).toBe('c');
    expect(imageTag('host:1/b')).toBe('latest');
  });
});

describe('pod defaults', () => {
  it('fills the pod and container defaults kube shows', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] });
    applyDefaults('pods', p);
    expect(p.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx:1.25',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          resources: {},
        },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      priority: 0,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    expect(validateCreate('pods', p)).toEqual([]);
  });

  it('does not override values the client set', () => {
    const p = pod({ restartPolicy: 'Never', dnsPolicy: 'Default', terminationGracePeriodSeconds: 0, enableServiceLinks: false, serviceAccountName: 'builder', schedulerName: 'mine' });
    p.spec.containers[0].imagePullPolicy = 'Never';
    applyDefaults('pods', p);
    expect(p.spec).toMatchObject({ restartPolicy: 'Never', dnsPolicy: 'Default', terminationGracePeriodSeconds: 0, enableServiceLinks: false, serviceAccountName: 'builder', serviceAccount: 'builder', schedulerName: 'mine' });
    expect(p.spec.containers[0].imagePullPolicy).toBe('Never');
  });

  it('uses the deprecated serviceAccount field when serviceAccountName is missing', () => {
    const p = pod({ serviceAccount: 'legacy' });
    applyDefaults('pods', p);
    expect(p.spec.serviceAccountName).toBe('legacy');
  });

  it('resolves built-in priority classes and leaves others alone', () => {
    const crit = pod({ priorityClassName: 'system-node-critical' });
    applyDefaults('pods', crit);
    expect(crit.spec.priority).toBe(2000001000);
    const custom = pod({ priorityClassName: 'batch-low' });
    applyDefaults('pods', custom);
    expect(custom.spec.priority).toBeUndefined();
  });

  it('defaults probes and HTTP handlers', () => {
    const p = pod({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
        },
      ],
    });
    applyDefaults('pods', p);
    const c = p.spec.containers[0];
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 80 }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 });
    expect(c.lifecycle.preStop.httpGet).toEqual({ port: 80, path: '/stop', scheme: 'HTTP' });
  });

  it('copies limits into missing requests and canonicalises quantities (pods only)', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { memory: '256Mi' } } }] });
    applyDefaults('pods', p);
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '500m', memory: '256Mi' } });
  });

  it('defaults volumes and env field references', () => {
    const p = pod({
      volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 's' } }, { name: 'host', hostPath: { path: '/tmp' } }],
      containers: [{ name: 'web', image: 'nginx', env: [{ name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }] }],
    });
    applyDefaults('pods', p);
    expect(p.spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/tmp', type: '' } },
    ]);
    expect(p.spec.containers[0].env[0].valueFrom.fieldRef).toEqual({ fieldPath: 'metadata.namespace', apiVersion: 'v1' });
  });

  it('defaults init containers too and host ports under hostNetwork', () => {
    const p = pod({ hostNetwork: true, initContainers: [{ name: 'init', image: 'busybox:1.36' }], containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }] }] });
    applyDefaults('pods', p);
    expect(p.spec.initContainers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', resources: {} });
    expect(p.spec.containers[0].ports[0]).toEqual({ containerPort: 8080, protocol: 'TCP', hostPort: 8080 });
    expect(validateCreate('pods', p)).toEqual([]);
  });

  it('is idempotent', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '1' } }, livenessProbe: { httpGet: { port: 80 } } }], volumes: [{ name: 'v' }] });
    applyDefaults('pods', p);
    const once = clone(p);
    applyDefaults('pods', p);
    expect(p).toEqual(once);
  });

  it('does not add tolerations by itself', () => {
    const p = pod();
    applyDefaults('pods', p);
    expect(p.spec.tolerations).toBeUndefined();
  });
});

describe('addDefaultTolerations', () => {
  it('adds not-ready and unreachable NoExecute tolerations for 300s', () => {
    const p = pod();
    addDefaultTolerations(p);
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    expect(validateCreate('pods', (applyDefaults('pods', p), p))).toEqual([]);
  });

  it('takes the seconds as a parameter and keeps existing tolerations', () => {
    const p = pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
    addDefaultTolerations(p, 30);
    expect(p.spec.tolerations).toHaveLength(3);
    expect(p.spec.tolerations[1].tolerationSeconds).toBe(30);
  });

  it('does not add what the pod already tolerates', () => {
    const p = pod({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }] });
    addDefaultTolerations(p);
    expect(p.spec.tolerations.map((t: { key: string }) => t.key)).toEqual(['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    expect(p.spec.tolerations[0].tolerationSeconds).toBe(10);
    const all = pod({ tolerations: [{ operator: 'Exists' }] });
    addDefaultTolerations(all);
    expect(all.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    const noSchedule = pod({ tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }] });
    addDefaultTolerations(noSchedule);
    expect(noSchedule.spec.tolerations).toHaveLength(3);
  });

  it('is idempotent', () => {
    const p = pod();
    addDefaultTolerations(p);
    addDefaultTolerations(p);
    expect(p.spec.tolerations).toHaveLength(2);
  });
});
