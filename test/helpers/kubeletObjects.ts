import type { Pod } from '../../src-main/api/types.js';
import type { RuntimeContainer } from '../../src-main/kubelet/runtime.js';
import type { StatusInput } from '../../src-main/kubelet/status.js';

// The objects the kubelet's unit tests build their cases from: pod `p` in namespace `ns` (uid
// `uid-1`) on node `n1` with one container `c` of image `img:1`, and a container of it as the
// runtime reports one (running since 2026-01-01T00:00:00Z), and what computePodStatus is given
// about them a minute later. A test overrides what its case is about.

export const POD_UID = 'uid-1';

export function testPod(spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}, status?: Pod['status']): Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: POD_UID, ...meta }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img:1' }], ...spec } as Pod['spec'], status };
}

export function runtimeContainer(over: Partial<RuntimeContainer> = {}): RuntimeContainer {
  const created = Date.parse('2026-01-01T00:00:00Z');
  const id = over.id ?? 'id';
  return {
    id,
    dockerName: id,
    podUid: POD_UID,
    namespace: 'ns',
    podName: 'p',
    name: 'c',
    kind: 'app',
    attempt: 0,
    specHash: '',
    state: 'running',
    created,
    startedMs: created,
    finishedMs: 0,
    oomKilled: false,
    image: 'img:1',
    imageId: 'sha256:abc',
    ips: {},
    labels: {},
    tty: false,
    ...over,
  };
}

/** computePodStatus's input for pod `p` with these container instances, in sandbox `sb` (running), every container ready and started. */
export function statusInput(p: Pod, insts: RuntimeContainer[], extra: Partial<StatusInput> = {}): StatusInput {
  return {
    pod: p,
    sandboxReady: true,
    currentSandboxId: 'sb',
    instances: (name) => insts.filter((r) => r.name === name),
    waiting: new Map(),
    ready: () => true,
    started: () => true,
    now: new Date('2026-01-01T00:01:00Z'),
    ...extra,
  };
}
