// Fuzzing of the kubelet's own server (logs, exec, attach, the NodePort tunnel; kube's :10250) as a real Kubelet runs it
// (started as test/integration/kubelet.test.ts starts one: the real Docker engine, a real control
// plane, the node's own token): raw requests with hostile targets, query strings, methods and
// WebSocket upgrade headers, with and without the server's token. After every case the kubelet has
// not crashed and /healthz answers "ok"; no answer is a 5xx, every error is a metav1.Status.
// No pod runs on this node, so every target names a pod the kubelet does not have.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { Kubelet } from '../../src-main/kubelet/kubelet.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { CrashWatch } from './lib/crashWatch.js';
import { kubeletRawCase } from './lib/rawCases.js';
import { sendRaw, type Target } from './lib/rawHttp.js';
import { Recorder } from './lib/recorder.js';
import { Runner } from './lib/runner.js';
import { Budget, RUNS, SEED, SLOW_MS, TEST_TIMEOUT_MS, fcParams } from './lib/settings.js';
import { skipWithout } from '../helpers/requirements.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const TOKEN = `kubelet-fuzz-token-${RUN}`;
const NODE = 'fz-node-kubelet';

let c: TestCluster;
let client: ApiClient;
let kubelet: Kubelet;
let recorder: Recorder;
const crashes = new CrashWatch();
let cases: Budget | undefined;

describe.skipIf(skipWithout('a Docker engine', dockerUp))('kubelet server fuzzing', () => {
  beforeAll(async () => {
    c = await startTestCluster({});
    client = new ApiClient({ url: c.cp.url, token: c.cp.tokens.nodeToken(NODE), ca: c.cp.caCert, userAgent: 'kubelet-fuzz' });
    kubelet = new Kubelet({
      client,
      docker,
      nodeName: NODE,
      // Names no Docker object: this kubelet runs no pod, and its housekeeping finds no container.
      clusterName: `fz${Date.now().toString(36)}`,
      network: `flotilla-kubelet-fuzz-${RUN}`,
      pauseImage: 'flotilla-fuzz/none:0',
      nodeIP: '127.0.0.1',
      capacity: { cpu: '1', memory: '1Gi', pods: '10' },
      server: { port: 0, host: '127.0.0.1', token: TOKEN },
    });
    await kubelet.start();
    crashes.start();
    recorder = new Recorder({ KUBELET_TOKEN: TOKEN });
  }, 120_000);

  afterAll(async () => {
    crashes.stop();
    if (recorder) console.log(recorder.report(`kubelet server fuzz report: seed ${SEED}, ${RUNS} cases, bound ${SLOW_MS} ms`, [`cases run: ${cases ?? 0}`]));
    await kubelet?.stop();
    client?.close();
    await c?.stop();
  }, 60_000);

  it('answers hostile targets, queries and upgrade requests without crashing', async () => {
    const target: Target = { host: '127.0.0.1', port: kubelet.serverPort! };
    const budget = (cases = new Budget());
    const runner = new Runner({
      target,
      recorder,
      crashes,
      slowMs: SLOW_MS,
      ready: () => sendRaw(target, { method: 'GET', target: '/healthz', headers: [] }, { deadlineMs: SLOW_MS + 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(kubeletRawCase(TOKEN), async (k) => {
        if (budget.take()) await runner.run(k);
      }),
      fcParams(),
    );
    expect([...recorder.failures.keys()], 'failures (reproductions printed above and in the final report)').toEqual([]);
  }, TEST_TIMEOUT_MS);
});
