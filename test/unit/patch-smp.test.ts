// Results are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { PatchError, strategicMergePatch } from '../../src-main/apiserver/patch/index.js';

// Deep-freezes a value so that any mutation by the engine throws in strict mode.
function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { keep: 'me' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.25',
              args: ['-g', 'daemon off;'],
              env: [{ name: 'A', value: '1' }],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 'busybox', command: ['sleep', '3600'] },
          ],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
        },
      },
    },
  };
}

const podSpecOf = (d: unknown) => (d as any).spec.template.spec;

describe('strategicMergePatch: bodies kubectl sends', () => {
  it('kubectl label adds a label and keeps the others', () => {
    const out = strategicMergePatch(frozen(deployment()), frozen({ metadata: { labels: { tier: 'fe' } } }), 'deployments.apps') as any;
    expect(out.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
    expect(out.spec).toEqual(deployment().spec);
  });

  it('kubectl label a- removes a label with null', () => {
    const out = strategicMergePatch(frozen(deployment()), frozen({ metadata: { labels: { app: null } } }), 'deployments.apps') as any;
    expect(out.metadata.labels).toEqual({});
    expect(out.metadata.annotations).toEqual({ keep: 'me' });
  });

  it('null for a key that does not exist is a no-op', () => {
    const out = strategicMergePatch({ metadata: { name: 'x' } }, { metadata: { labels: { gone: null } } }, 'pods') as any;
    expect(out).toEqual({ metadata: { name: 'x', labels: {} } });
  });

  it('kubectl cordon sets spec.unschedulable on a node', () => {
    const node = frozen({ metadata: { name: 'n1' }, spec: { podCIDR: '10.0.0.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }] } });
    const out = strategicMergePatch(node, frozen({ spec: { unschedulable: true } }), 'nodes') as any;
    expect(out.spec).toEqual({ podCIDR: '10.0.0.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }], unschedulable: true });
  });

  it('kubectl set image changes only that container image', () => {
    const patch = { spec: { template: { spec: { containers: [{ image: 'nginx:1.27', name: 'nginx' }] } } } };
    const out = strategicMergePatch(frozen(deployment()), frozen(patch), 'deployments.apps');
    const containers = podSpecOf(out).containers;
    expect(containers).toHaveLength(2);
    expect(containers[0]).toEqual({ ...(podSpecOf(deployment()).containers[0] as object), image: 'nginx:1.27' });
    expect(containers[1]).toEqual(podSpecOf(deployment()).containers[1]);
  });

  it('kubectl rollout restart adds the restartedAt template annotation', () => {
    const at = '2025-01-02T03:04:05Z';
    const patch = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
    const out = strategicMergePatch(frozen(deployment()), frozen(patch), 'deployments.apps') as any;
    expect(out.spec.template.metadata).toEqual({ labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': at } });
  });

  it('client-side re-apply body: $setElementOrder, env merge, ports: null', () => {
    const lastApplied = '{"apiVersion":"apps/v1","kind":"Deployment"}\n';
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [
              {
                '$setElementOrder/env': [{ name: 'A' }],
                env: [{ name: 'A', value: '2' }],
                image: 'nginx:1.26',
                name: 'nginx',
                ports: null,
              },
            ],
          },
        },
      },
    };
    const out = strategicMergePatch(frozen(deployment()), frozen(patch), 'deployments.apps') as any;
    expect(out.metadata.annotations).toEqual({ keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': lastApplied });
    const [nginx, sidecar] = out.spec.template.spec.containers;
    expect(nginx).toEqual({ name: 'nginx', image: 'nginx:1.26', args: ['-g', 'daemon off;'], env: [{ name: 'A', value: '2' }] });
    // Server-only items are kept: $setElementOrder orders, it never deletes.
    expect(sidecar.name).toBe('sidecar');
    expect(JSON.stringify(out)).not.toContain('$');
  });

  it('client-side apply deletes a list item with $patch: delete', () => {
    const original = deployment();
    podSpecOf(original).containers[0].env.push({ name: 'B', value: 'x' });
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'nginx', '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }] }] } } },
    };
    const out = strategicMergePatch(frozen(original), frozen(patch), 'deployments.apps');
    expect(podSpecOf(out).containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });
});

describe('strategicMergePatch: keyed lists', () => {
  it('a new container goes before the existing ones (kube ordering)', () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'new', image: 'redis' }] } } } };
    const out = strategicMergePatch(deployment(), patch, 'deployments.apps');
    expect(podSpecOf(out).containers.map((c: any) => c.name)).toEqual(['new', 'nginx', 'sidecar']);
  });

  it('patch items keep their order and server-only items are interleaved by original position', () => {
    // kube's mergeSortedSlice: b (original index 1) sorts before c (index 2), then the patch order.
    const pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
    const out = strategicMergePatch(pod, { spec: { containers: [{ name: 'c', image: 'x' }, { name: 'a', image: 'y' }] } }, 'pods') as any;
    expect(out.spec.containers.map((c: any) => c.name)).toEqual(['b', 'c', 'a']);
  });

  it('$setElementOrder reorders even without the list in the patch', () => {
    const pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const out = strategicMergePatch(pod, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } }, 'pods') as any;
    expect(out.spec.containers).toEqual([{ name: 'b' }, { name: 'a' }]);
  });

  it('{"$patch":"replace"} item replaces the whole list', () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } };
    const out = strategicMergePatch(deployment(), patch, 'deployments.apps');
    expect(podSpecOf(out).containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('merges container ports by containerPort, volumeMounts by mountPath, env by name', () => {
    const pod = {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ name: 'v', mountPath: '/a' }],
            env: [{ name: 'X', value: '1' }],
          },
        ],
      },
    };
    const patch = {
      spec: {
        containers: [
          {
            name: 'c',
            ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 443 }],
            volumeMounts: [{ mountPath: '/a', readOnly: true }],
            env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } }, value: null }],
          },
        ],
      },
    };
    const c = (strategicMergePatch(pod, patch, 'pods') as any).spec.containers[0];
    expect(c.ports).toEqual([{ containerPort: 80, name: 'http', hostPort: 8080 }, { containerPort: 443 }]);
    expect(c.volumeMounts).toEqual([{ name: 'v', mountPath: '/a', readOnly: true }]);
    expect(c.env).toEqual([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]);
  });

  it('merges pod-level lists: volumes, imagePullSecrets, hostAliases, initContainers', () => {
    const pod = {
      spec: {
        containers: [{ name: 'c' }],
        initContainers: [{ name: 'i', image: 'a' }],
        volumes: [{ name: 'v1', emptyDir: {} }],
        imagePullSecrets: [{ name: 's1' }],
        hostAliases: [{ ip: '1.2.3.4', hostnames: ['a'] }],
      },
    };
    const patch = {
      spec: {
        initContainers: [{ name: 'i', image: 'b' }],
        volumes: [{ name: 'v2', emptyDir: {} }],
        imagePullSecrets: [{ name: 's2' }],
        hostAliases: [{ ip: '1.2.3.4', hostnames: ['b'] }],
      },
    };
    const s = (strategicMergePatch(pod, patch, 'pods') as any).spec;
    expect(s.initContainers).toEqual([{ name: 'i', image: 'b' }]);
    expect(s.volumes.map((v: any) => v.name)).toEqual(['v2', 'v1']);
    expect(s.imagePullSecrets).toEqual([{ name: 's2' }, { name: 's1' }]);
    // hostnames itself has no strategy: replaced inside the merged item.
    expect(s.hostAliases).toEqual([{ ip: '1.2.3.4', hostnames: ['b'] }]);
  });

  it('merges service ports by port', () => {
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080, name: 'http' }, { port: 443 }] } };
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, 'services') as any;
    expect(out.spec.ports).toEqual([{ port: 80, targetPort: 9090, name: 'http' }, { port: 443 }]);
  });

  it('merges ownerReferences by uid', () => {
    const obj = { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] } };
    const patch = { metadata: { ownerReferences: [{ uid: 'u2', name: 'b', kind: 'ReplicaSet', apiVersion: 'apps/v1' }, { uid: 'u1', controller: true }] } };
    const out = strategicMergePatch(obj, patch, 'pods') as any;
    expect(out.metadata.ownerReferences.map((o: any) => [o.uid, o.controller])).toEqual([
      ['u2', undefined],
      ['u1', true],
    ]);
  });

  it('merges status conditions by type (pods, nodes) and node addresses by type', () => {
    const pod = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } };
    const p = strategicMergePatch(pod, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'pods/status') as any;
    expect(p.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);

    const node = { status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } };
    const n = strategicMergePatch(
      node,
      { status: { conditions: [{ type: 'MemoryPressure', status: 'False' }], addresses: [{ type: 'Hostname', address: 'n1' }] } },
      'nodes',
    ) as any;
    expect(n.status.conditions.map((c: any) => c.type).sort()).toEqual(['MemoryPressure', 'Ready']);
    expect(n.status.addresses).toHaveLength(2);
  });

  it('merges deployment and replicaset status conditions by type', () => {
    for (const key of ['deployments.apps', 'replicasets.apps']) {
      const obj = { status: { conditions: [{ type: 'Available', status: 'True' }] } };
      const out = strategicMergePatch(obj, { status: { conditions: [{ type: 'Progressing', status: 'True' }] } }, key) as any;
      expect(out.status.conditions).toHaveLength(2);
    }
  });

  it('an empty patch list leaves a merging list unchanged', () => {
    const out = strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [] } } } }, 'deployments.apps');
    expect(podSpecOf(out).containers).toHaveLength(2);
  });

  it('rejects a keyed item without its merge key', () => {
    expect(() => strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 'deployments.apps')).toThrow(
      /does not contain declared merge key: name/,
    );
  });

  it('rejects $patch: delete without the merge key', () => {
    const patch = { spec: { containers: [{ $patch: 'delete' }] } };
    expect(() => strategicMergePatch({ spec: { containers: [{ name: 'a' }] } }, patch, 'pods')).toThrow(PatchError);
  });
});

describe('strategicMergePatch: atomic lists and primitive sets', () => {
  it('replaces lists without a strategy: args, tolerations, node taints', () => {
    const patch = {
      spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'nginx', args: ['x'] }] } } },
    };
    const out = strategicMergePatch(deployment(), patch, 'deployments.apps');
    expect(podSpecOf(out).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
    expect(podSpecOf(out).containers[0].args).toEqual(['x']);

    const node = { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } };
    const n = strategicMergePatch(node, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } }, 'nodes') as any;
    expect(n.spec.taints).toEqual([{ key: 'b', effect: 'NoExecute' }]);
  });

  it('merges finalizers as a set: union without duplicates, in kube order', () => {
    const obj = { metadata: { finalizers: ['a', 'b'] } };
    const out = strategicMergePatch(obj, { metadata: { finalizers: ['b', 'c'] } }, 'pods') as any;
    expect(out.metadata.finalizers).toEqual(['a', 'b', 'c']);
    const added = strategicMergePatch(obj, { metadata: { finalizers: ['x'] } }, 'pods') as any;
    expect(added.metadata.finalizers).toEqual(['x', 'a', 'b']);
  });

  it('merges node spec.podCIDRs as a set', () => {
    const out = strategicMergePatch({ spec: { podCIDRs: ['10.0.0.0/24'] } }, { spec: { podCIDRs: ['10.0.0.0/24'] } }, 'nodes') as any;
    expect(out.spec.podCIDRs).toEqual(['10.0.0.0/24']);
  });

  it('$deleteFromPrimitiveList removes values', () => {
    const obj = { metadata: { finalizers: ['a', 'b', 'c'] } };
    const out = strategicMergePatch(obj, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } }, 'namespaces') as any;
    expect(out.metadata.finalizers).toEqual(['a', 'c']);
  });

  it('$setElementOrder orders a primitive set', () => {
    const obj = { metadata: { finalizers: ['a', 'b'] } };
    const out = strategicMergePatch(obj, { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } }, 'pods') as any;
    expect(out.metadata.finalizers).toEqual(['b', 'a']);
  });

  it('lists of unknown resources are atomic while maps still merge', () => {
    const cm = { data: { a: '1', b: '2' }, items: [1, 2] };
    const out = strategicMergePatch(cm, { data: { b: null, c: '3' }, items: [3] }, 'configmaps') as any;
    expect(out).toEqual({ data: { a: '1', c: '3' }, items: [3] });
  });
});

describe('strategicMergePatch: map directives', () => {
  it('$patch: replace replaces a map', () => {
    const out = strategicMergePatch(deployment(), { metadata: { labels: { $patch: 'replace', only: 'this' } } }, 'deployments.apps') as any;
    expect(out.metadata.labels).toEqual({ only: 'this' });
  });

  it('$patch: delete removes a map', () => {
    const out = strategicMergePatch(deployment(), { metadata: { annotations: { $patch: 'delete' } } }, 'deployments.apps') as any;
    expect(out.metadata).not.toHaveProperty('annotations');
  });

  it('$patch: merge is the default', () => {
    const out = strategicMergePatch(deployment(), { metadata: { labels: { $patch: 'merge', x: 'y' } } }, 'deployments.apps') as any;
    expect(out.metadata.labels).toEqual({ app: 'web', x: 'y' });
  });

  it('rejects an unknown $patch value', () => {
    expect(() => strategicMergePatch({}, { spec: { $patch: 'explode' } }, 'pods')).toThrow(/invalid \$patch directive/);
  });

  it('$retainKeys clears the other keys (deployment strategy)', () => {
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    const out = strategicMergePatch(deployment(), patch, 'deployments.apps') as any;
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('$retainKeys inside a volume switches its source', () => {
    const patch = {
      spec: { template: { spec: { volumes: [{ $retainKeys: ['name', 'secret'], name: 'cfg', secret: { secretName: 's' } }] } } },
    };
    const out = strategicMergePatch(deployment(), patch, 'deployments.apps');
    expect(podSpecOf(out).volumes).toEqual([{ name: 'cfg', secret: { secretName: 's' } }]);
  });

  it('a patch field missing from $retainKeys is 422', () => {
    try {
      strategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', other: 1 } } }, 'deployments.apps');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PatchError);
      expect((e as PatchError).code).toBe(422);
    }
  });

  it('strips directives and nulls from new subtrees', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'x', image: 'i', env: [{ name: 'A', value: null }, { name: 'B', $patch: 'delete' }], '$setElementOrder/env': [{ name: 'A' }] }],
          },
        },
      },
    };
    const out = strategicMergePatch({}, patch, 'deployments.apps') as any;
    expect(out.spec.template.spec.containers).toEqual([{ name: 'x', image: 'i', env: [{ name: 'A' }] }]);
  });
});

describe('strategicMergePatch: purity and errors', () => {
  it('does not mutate its inputs and shares nothing with them', () => {
    const original = deployment();
    const patch = { spec: { template: { spec: { containers: [{ name: 'new', env: [{ name: 'Z', value: 'z' }] }] } } } };
    const out = strategicMergePatch(frozen(original), frozen(patch), 'deployments.apps') as any;
    out.spec.template.spec.containers[0].env[0].value = 'changed';
    out.spec.template.spec.containers[1].image = 'changed';
    expect(patch.spec.template.spec.containers[0].env[0].value).toBe('z');
    expect(podSpecOf(original).containers[0].image).toBe('nginx:1.25');
  });

  it('rejects a patch that is not an object', () => {
    for (const bad of [[], 'x', null, 3]) {
      expect(() => strategicMergePatch({}, bad, 'pods')).toThrow(PatchError);
    }
  });

  it('a top-level $patch: replace replaces the whole object', () => {
    expect(strategicMergePatch({ a: 1 }, { $patch: 'replace', b: 2 }, 'pods')).toEqual({ b: 2 });
  });
});
