// The pod row is the most-read output of kubectl; these cases pin the STATUS/READY/RESTARTS rules of
// kubernetes printPod (init containers, sidecars, deletion, restart ages).
import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod } from '../../src-main/api/types.js';
import { printerFor } from '../../src-main/apiserver/printers/index.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const MIN = 60_000;

const printer = printerFor('pods');

function pod(p: { spec?: Partial<Pod['spec']>; status?: Pod['status']; metadata?: Partial<Pod['metadata']> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(5 * MIN), ...p.metadata },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...p.spec },
    status: p.status,
  };
}

function cs(name: string, rest: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, ready: false, restartCount: 0, image: 'img', imageID: '', ...rest };
}

const running = (name: string, extra: Partial<ContainerStatus> = {}) =>
  cs(name, { ready: true, state: { running: { startedAt: ago(MIN) } }, ...extra });

/** READY, STATUS, RESTARTS cells. */
function summary(p: Pod): [unknown, unknown, unknown] {
  const cells = printer.cells(p, now);
  return [cells[1], cells[2], cells[3]];
}

describe('pods printer: columns', () => {
  it('has the kube-apiserver column set with wide columns at priority 1', () => {
    expect(printer.columns.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(printer.columns[0].format).toBe('name');
    expect(printer.columns[1].format).toBe('');
    expect(printer.columns[5].description).toMatch(/^podIP address allocated to the pod/);
  });

  it('prints a healthy running pod with every wide cell', () => {
    const p = pod({
      spec: { nodeName: 'node-1' },
      status: {
        phase: 'Running',
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [running('app')],
      },
    });
    expect(printer.cells(p, now)).toEqual(['web-1', '1/1', 'Running', '0', '5m', '10.0.0.5', 'node-1', '<none>', '<none>']);
  });

  it('fills the wide cells from podIPs, nominatedNodeName and readiness gates', () => {
    const p = pod({
      spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      status: {
        phase: 'Pending',
        podIPs: [{ ip: 'fd00::5' }, { ip: '10.0.0.5' }],
        nominatedNodeName: 'node-2',
        conditions: [
          { type: 'example.com/lb', status: 'True' },
          { type: 'example.com/dns', status: 'False' },
        ],
      },
    });
    expect(printer.cells(p, now).slice(5)).toEqual(['fd00::5', '<none>', 'node-2', '1/2']);
  });

  it('prints <unknown> age and empty status for a bare pod', () => {
    const p = pod({ metadata: { creationTimestamp: undefined } });
    expect(printer.cells(p, now)).toEqual(['web-1', '0/1', '', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });
});

describe('pods printer: status reason', () => {
  it('shows the waiting reason of a container (ContainerCreating, ImagePullBackOff, CrashLoopBackOff)', () => {
    for (const reason of ['ContainerCreating', 'ImagePullBackOff', 'ErrImagePull', 'CrashLoopBackOff']) {
      const p = pod({ status: { phase: 'Pending', containerStatuses: [cs('app', { state: { waiting: { reason } } })] } });
      expect(summary(p)).toEqual(['0/1', reason, '0']);
    }
  });

  it('lets the first container with a reason win', () => {
    const p = pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          cs('a', { state: { waiting: { reason: 'CrashLoopBackOff' } } }),
          cs('b', { state: { waiting: { reason: 'ImagePullBackOff' } } }),
        ],
      },
    });
    expect(summary(p)[1]).toBe('CrashLoopBackOff');
  });

  it('shows terminated reasons, or Signal:N / ExitCode:N when the runtime gave none', () => {
    const term = (t: object) => pod({ status: { phase: 'Failed', containerStatuses: [cs('app', { state: { terminated: { exitCode: 1, ...t } } })] } });
    expect(summary(term({ reason: 'Error' }))[1]).toBe('Error');
    expect(summary(term({ reason: 'OOMKilled', exitCode: 137 }))[1]).toBe('OOMKilled');
    expect(summary(term({ exitCode: 137, signal: 9 }))[1]).toBe('Signal:9');
    expect(summary(term({ exitCode: 2 }))[1]).toBe('ExitCode:2');
  });

  it('shows Completed for a succeeded pod', () => {
    const p = pod({
      status: { phase: 'Succeeded', containerStatuses: [cs('app', { state: { terminated: { exitCode: 0, reason: 'Completed' } } })] },
    });
    expect(summary(p)).toEqual(['0/1', 'Completed', '0']);
  });

  it('turns Completed back into Running or NotReady while another container still runs', () => {
    const statuses = [cs('a', { state: { terminated: { exitCode: 0, reason: 'Completed' } } }), running('b')];
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    const ready = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } });
    const notReady = pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses } });
    expect(summary(ready)).toEqual(['1/2', 'Running', '0']);
    expect(summary(notReady)).toEqual(['1/2', 'NotReady', '0']);
  });

  it('prefers status.reason over the phase (Evicted, NodeLost)', () => {
    expect(summary(pod({ status: { phase: 'Failed', reason: 'Evicted' } }))[1]).toBe('Evicted');
    expect(summary(pod({ status: { phase: 'Unknown', reason: 'NodeLost' } }))[1]).toBe('NodeLost');
    expect(summary(pod({ status: { phase: 'Unknown' } }))[1]).toBe('Unknown');
  });

  it('shows SchedulingGated for a pod held by scheduling gates', () => {
    const p = pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } });
    expect(summary(p)[1]).toBe('SchedulingGated');
  });

  it('shows Terminating once deletionTimestamp is set, unless the phase is terminal', () => {
    const deleting = { deletionTimestamp: ago(MIN) };
    const p = pod({ metadata: deleting, status: { phase: 'Running', containerStatuses: [running('app')] } });
    expect(summary(p)).toEqual(['1/1', 'Terminating', '0']);
    const done = pod({
      metadata: deleting,
      status: { phase: 'Succeeded', containerStatuses: [cs('app', { state: { terminated: { exitCode: 0, reason: 'Completed' } } })] },
    });
    expect(summary(done)[1]).toBe('Completed');
  });

  it('shows Unknown for a deleted pod whose node was lost', () => {
    const p = pod({ metadata: { deletionTimestamp: ago(MIN) }, status: { phase: 'Running', reason: 'NodeLost' } });
    expect(summary(p)[1]).toBe('Unknown');
  });
});

describe('pods printer: init containers', () => {
  const spec = (n: number) => ({
    initContainers: Array.from({ length: n }, (_, i) => ({ name: `init-${i}` })),
  });

  it('shows Init:i/n for the first init container still running', () => {
    const one = pod({ spec: spec(1), status: { phase: 'Pending', initContainerStatuses: [cs('init-0', { state: { running: {} } })] } });
    expect(summary(one)).toEqual(['0/1', 'Init:0/1', '0']);
    const two = pod({
      spec: spec(2),
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          cs('init-0', { state: { terminated: { exitCode: 0, reason: 'Completed' } } }),
          cs('init-1', { state: { waiting: { reason: 'PodInitializing' } } }),
        ],
      },
    });
    expect(summary(two)[1]).toBe('Init:1/2');
  });

  it('prefixes init waiting and terminated reasons with Init:', () => {
    const init = (state: ContainerStatus['state']) =>
      pod({ spec: spec(1), status: { phase: 'Pending', initContainerStatuses: [cs('init-0', { state })] } });
    expect(summary(init({ waiting: { reason: 'CrashLoopBackOff' } }))[1]).toBe('Init:CrashLoopBackOff');
    expect(summary(init({ waiting: { reason: 'ImagePullBackOff' } }))[1]).toBe('Init:ImagePullBackOff');
    expect(summary(init({ terminated: { exitCode: 1, reason: 'Error' } }))[1]).toBe('Init:Error');
    expect(summary(init({ terminated: { exitCode: 3 } }))[1]).toBe('Init:ExitCode:3');
    expect(summary(init({ terminated: { exitCode: 137, signal: 9 } }))[1]).toBe('Init:Signal:9');
  });

  it('ignores app container states while initialising', () => {
    const p = pod({
      spec: spec(1),
      status: {
        phase: 'Pending',
        initContainerStatuses: [cs('init-0', { state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 4 })],
        containerStatuses: [cs('app', { state: { waiting: { reason: 'PodInitializing' } } })],
      },
    });
    expect(summary(p)).toEqual(['0/1', 'Init:CrashLoopBackOff', '4']);
  });

  it('counts init restarts only while initialising', () => {
    const initStatus = cs('init-0', {
      restartCount: 3,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
      lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * MIN) } },
    });
    const p = pod({
      spec: spec(1),
      status: { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }], initContainerStatuses: [initStatus], containerStatuses: [running('app')] },
    });
    expect(summary(p)).toEqual(['1/1', 'Running', '0']);
  });

  it('counts started sidecars as ready containers and keeps their restarts', () => {
    const p = pod({
      spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [
          running('proxy', {
            started: true,
            restartCount: 1,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * MIN) } },
          }),
        ],
        containerStatuses: [running('app')],
      },
    });
    expect(summary(p)).toEqual(['2/2', 'Running', '1 (3m ago)']);
  });

  it('does not count a sidecar that has not started', () => {
    const p = pod({
      spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: { phase: 'Pending', initContainerStatuses: [cs('proxy', { started: false, state: { running: {} } })] },
    });
    expect(summary(p)).toEqual(['0/2', 'Init:0/1', '0']);
  });
});

describe('pods printer: restarts', () => {
  it('adds the age of the latest restart', () => {
    const p = pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          cs('a', { restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * MIN) } } }),
          running('b', { restartCount: 1, lastState: { terminated: { exitCode: 1, finishedAt: ago(50 * MIN) } } }),
        ],
      },
    });
    expect(summary(p)).toEqual(['1/2', 'CrashLoopBackOff', '3 (5m ago)']);
  });

  it('prints the bare count when no finishedAt is known', () => {
    const p = pod({ status: { phase: 'Running', containerStatuses: [running('app', { restartCount: 7 })] } });
    expect(summary(p)[2]).toBe('7');
  });

  it('counts an unready running container as not ready', () => {
    const p = pod({ status: { phase: 'Running', containerStatuses: [running('app', { ready: false })] } });
    expect(summary(p)).toEqual(['0/1', 'Running', '0']);
  });
});

describe('pods printer: row conditions', () => {
  it('marks succeeded and failed pods as Completed', () => {
    expect(printer.rowConditions?.(pod({ status: { phase: 'Succeeded' } }))).toEqual([
      { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
    ]);
    expect(printer.rowConditions?.(pod({ status: { phase: 'Failed' } }))?.[0].reason).toBe('Failed');
    expect(printer.rowConditions?.(pod({ status: { phase: 'Running' } }))).toBeUndefined();
  });
});
