import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { ApiRequestError } from '../../src-main/client/apiClient.js';
import type { EventRecorder } from '../../src-main/client/eventRecorder.js';
import type { InformerFactory } from '../../src-main/client/informer.js';
import { BaseController, StaleCacheError, type ControllerContext } from '../../src-main/client/controller.js';
import { newControllers } from '../../src-main/controllers/manager.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { recordingLogger, type RecordingLogger } from '../helpers/logger.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';

// The one shape every controller follows (src-main/controllers/controller.ts), checked on the
// controllers the manager runs and on BaseController's mechanics, with time on a ManualClock.

const settle = () => new Promise<void>((r) => setImmediate(r));

interface Harness {
  ctx: ControllerContext;
  clock: ManualClock;
  logs: RecordingLogger;
  recorders: string[];
}

function harness(workers = DEFAULT_CONTROLLER_OPTIONS.workers): Harness {
  const clock = new ManualClock(1_000_000);
  const logs = recordingLogger({ clock });
  const recorders: string[] = [];
  const informers = {
    informer: () => {
      throw new Error('informers are obtained in init(), not in the constructor');
    },
  } as unknown as InformerFactory;
  const ctx: ControllerContext = {
    client: new FakeApiClient(clock),
    informers,
    options: { ...DEFAULT_CONTROLLER_OPTIONS, workers },
    clock,
    log: logs.log,
    recorder: (component) => {
      recorders.push(component);
      return { event: () => {} } as unknown as EventRecorder;
    },
  };
  return { ctx, clock, logs, recorders };
}

describe('the controllers the manager runs', () => {
  it('are named as kube-controller-manager names them and take no informer in their constructor', () => {
    const h = harness();
    const names = newControllers(h.ctx).map((c) => c.name);
    // cmd/kube-controller-manager/names/controller_names.go
    expect(names).toEqual([
      'replicaset-controller',
      'deployment-controller',
      'garbage-collector-controller',
      'namespace-controller',
      'serviceaccount-controller',
      'pod-garbage-collector-controller',
      'node-lifecycle-controller',
      'endpoints-controller',
      'endpointslice-controller',
      'root-ca-certificate-publisher-controller',
    ]);
  });

  it("record Events under kube's event sources", () => {
    const h = harness();
    newControllers(h.ctx);
    // The EventSource components of kube's recorders: mostly the controller name, except the
    // endpoints, endpointslice and node lifecycle controllers, which kept their older names.
    expect(h.recorders.sort()).toEqual(['deployment-controller', 'endpoint-controller', 'endpoint-slice-controller', 'node-controller', 'replicaset-controller', 'taint-eviction-controller']);
  });
});

/** A controller with one queue whose syncs the test finishes by hand. */
class Scripted extends BaseController {
  readonly name = 'scripted-controller';
  readonly running = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  readonly queue = this.newQueue(
    (key) =>
      new Promise<void>((resolve, reject) => {
        this.running.set(key, { resolve, reject });
      }),
    { baseDelayMs: 10, maxDelayMs: 10 },
  );
  passes = 0;
  passResult: () => Promise<void> = async () => {};

  init(): void {}

  periodic(periodMs: number, firstDelayMs: number): void {
    this.every(
      periodMs,
      'pass',
      () => {
        this.passes++;
        return this.passResult();
      },
      firstDelayMs,
    );
  }

  async finish(key: string, err?: unknown): Promise<void> {
    const r = this.running.get(key)!;
    this.running.delete(key);
    if (err === undefined) r.resolve();
    else r.reject(err);
    await settle();
  }
}

/** A Scripted controller with `workers` workers, running, and its harness. */
function runScripted(workers?: number): { h: Harness; c: Scripted } {
  const h = harness(workers);
  const c = new Scripted(h.ctx);
  c.run();
  return { h, c };
}

describe('BaseController', () => {
  it('runs options.workers workers per queue', async () => {
    const { c } = runScripted(3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) c.queue.add(k);
    await settle();
    expect([...c.running.keys()]).toEqual(['a', 'b', 'c']);
    await c.finish('a');
    expect([...c.running.keys()]).toEqual(['b', 'c', 'd']);
    for (const k of ['b', 'c', 'd']) await c.finish(k);
    await c.finish('e');
    await c.stop();
  });

  it('requeues conflicts and stale caches quietly and logs other failures the first time and every tenth retry', async () => {
    const { h, c } = runScripted(1);
    c.queue.add('k');
    await settle();
    await c.finish('k', new ApiRequestError(409, undefined, 'the object has been modified'));
    h.clock.advance(10);
    await settle();
    await c.finish('k', new StaleCacheError('cache behind'));
    h.clock.advance(10);
    await settle();
    expect(h.logs.lines()).toEqual([]);
    await c.finish('k');

    c.queue.add('bad');
    for (let i = 0; i < 12; i++) {
      await settle();
      await c.finish('bad', new Error(`boom ${i}`));
      h.clock.advance(10);
    }
    expect(h.logs.lines()).toEqual(['WARN scripted-controller: sync failed key=bad err="boom 0" retries=0', 'WARN scripted-controller: sync failed key=bad err="boom 10" retries=10']);
    await settle();
    await c.finish('bad');
    await c.stop();
  });

  it('stop() resolves once the syncs in flight have returned', async () => {
    const { c } = runScripted(2);
    c.queue.add('slow');
    await settle();
    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    await c.finish('slow');
    await stopping;
    expect(stopped).toBe(true);
  });

  it('runs periodic passes on the clock, logs a failing one, and stops them with the controller', async () => {
    const { h, c } = runScripted();
    c.periodic(1000, 0);
    h.clock.advance(0);
    await settle();
    expect(c.passes).toBe(1);
    h.clock.advance(999);
    await settle();
    expect(c.passes).toBe(1);
    h.clock.advance(1);
    await settle();
    expect(c.passes).toBe(2);

    c.passResult = async () => {
      throw new Error('API down');
    };
    h.clock.advance(1000);
    await settle();
    expect(c.passes).toBe(3);
    expect(h.logs.lines()).toEqual(['WARN scripted-controller: periodic pass failed pass=pass err="API down"']);

    // A pass still running when the controller stops is waited for; none starts after.
    let endPass!: () => void;
    c.passResult = () => new Promise<void>((r) => (endPass = r));
    h.clock.advance(1000);
    await settle();
    expect(c.passes).toBe(4);
    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    endPass();
    await stopping;
    h.clock.advance(10_000);
    await settle();
    expect(c.passes).toBe(4);
    expect(h.clock.pendingTimers).toBe(0);
  });
});
