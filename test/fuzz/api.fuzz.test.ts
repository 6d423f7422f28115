// Property-based fuzzing of the real API server (issue 7, "How to keep it true"): random
// mutations of valid objects of every served kind with every verb and patch type, hostile paths,
// queries, methods and headers, and raw requests no ordinary client would send, against a running
// control plane with a real admin token. After every case: the answer is no 5xx (a 503 only for a
// pod subresource that needs a kubelet, which this cluster has none of), every error is a
// metav1.Status, nothing took longer than the bound, the server did not crash and still answers
// /readyz, a dry run moved no resourceVersion, the objects made before fuzzing are unchanged, and
// no prototype was polluted. At the end every object lists, reads back and parses, and the same
// objects come back after a restart from the data folder.
//
// Failures are collected rather than shrunk one at a time, so one run reports every defect it
// meets, each with its smallest reproductions. Settings (seed, count, bound) are in lib/settings.ts.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../src-main/controlplane.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { FuzzCase, Tokens } from './lib/common.js';
import { CrashWatch } from './lib/crashWatch.js';
import { objectCase } from './lib/objectCases.js';
import { KEEP_NS, pathCase } from './lib/pathCases.js';
import { apiRawCase } from './lib/rawCases.js';
import { sendRaw, type Target } from './lib/rawHttp.js';
import { Recorder } from './lib/recorder.js';
import { Runner } from './lib/runner.js';
import { FUZZ_NS, FUZZ_RESOURCES, collectionPath, seed, seedNames } from './lib/seeds.js';
import { Budget, RUNS, SEED, SLOW_MS, TEST_TIMEOUT_MS, TIME_LIMIT_MS, fcParams } from './lib/settings.js';
import { readEverything } from './lib/storeCheck.js';

let c: TestCluster;
let cp: ControlPlane;
let target: Target;
let tokens: Tokens;
let recorder: Recorder;
let runner: Runner;
const crashes = new CrashWatch();
/** Keys (resource, store key) of the objects that existed before fuzzing and that no case addresses. */
const sentinelKeys: [string, string][] = [];
const casesRun: Record<string, Budget> = {};
const t0 = Date.now();

function sentinels(): Map<string, string | undefined> {
  return new Map(sentinelKeys.map(([res, key]) => [`${res} ${key}`, cp.store.getJSON(res, key)]));
}

/** Failure counts by signature, to tell which failures one property added. */
function failureCounts(): Map<string, number> {
  return new Map([...recorder.failures.values()].map((f) => [f.signature, f.count]));
}

function newFailures(before: Map<string, number>): string[] {
  return [...recorder.failures.values()].filter((f) => f.count > (before.get(f.signature) ?? 0)).map((f) => `${f.signature} (x${f.count - (before.get(f.signature) ?? 0)})`);
}

async function fuzz(name: string, arb: fc.Arbitrary<FuzzCase>): Promise<void> {
  const before = failureCounts();
  const budget = (casesRun[name] = new Budget());
  await fc.assert(
    fc.asyncProperty(arb, async (fuzzCase) => {
      if (budget.take()) await runner.run(fuzzCase);
    }),
    fcParams(),
  );
  expect(newFailures(before), `failures (reproductions printed above and in the final report)`).toEqual([]);
}

describe('API server fuzzing', () => {
  beforeAll(async () => {
    c = await startTestCluster({});
    cp = c.cp;
    const u = new URL(cp.url);
    target = { host: u.hostname, port: Number(u.port), ca: cp.caCert };
    tokens = { admin: cp.adminToken, node: cp.tokens.nodeToken('fz-node-0') };
    recorder = new Recorder({ ADMIN_TOKEN: tokens.admin, NODE_TOKEN: tokens.node });

    // "a-keep" sorts before every other namespace: a collection delete that stops half-way still meets it.
    for (const ns of [FUZZ_NS, KEEP_NS, 'a-keep']) {
      const res = await c.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      expect(res.status, res.text).toBe(201);
    }
    // Every seed is valid as it is (so a failure is the mutation's doing), and one of each exists
    // for updates, patches and deletes to find.
    for (const r of FUZZ_RESOURCES) {
      const s = seed(r, seedNames(r)[0]!);
      const res = await c.request('POST', collectionPath(r), s.body);
      expect(res.status, `the ${r.kind} seed is not valid: ${res.text}`).toBe(201);
    }
    // Objects the fuzzer must never change: one of each namespaced kind in "keep", the cluster's
    // own (system namespaces, the kubernetes Service), and cluster-scoped ones named keep-*.
    for (const r of FUZZ_RESOURCES) {
      if (r.kind === 'Namespace') continue;
      const s = seed(r, `keep-${r.singular}`, KEEP_NS);
      const res = await c.request('POST', collectionPath(r, KEEP_NS), s.body);
      expect(res.status, res.text).toBe(201);
    }
    for (const r of FUZZ_RESOURCES) {
      for (const item of cp.store.scan(r.key)) {
        const fuzzOwned = r.namespaced ? item.key.startsWith(`${FUZZ_NS}/`) : item.key.startsWith('fz-') || item.key === FUZZ_NS;
        if (!fuzzOwned) sentinelKeys.push([r.key, item.key]);
      }
    }
    expect(sentinelKeys.length).toBeGreaterThan(FUZZ_RESOURCES.length);
    crashes.start();
    runner = new Runner({
      target,
      recorder,
      crashes,
      slowMs: SLOW_MS,
      ready: () => sendRaw(target, { method: 'GET', target: '/readyz', headers: [] }, { deadlineMs: SLOW_MS + 1000 }),
      rv: () => cp.store.currentRV(),
      sentinels,
    });
  }, 120_000);

  afterAll(async () => {
    crashes.stop();
    if (recorder) {
      const report = recorder.report(`API server fuzz report: seed ${SEED}, ${RUNS} cases per property (time limit ${TIME_LIMIT_MS / 1000} s each), bound ${SLOW_MS} ms`, [
        `cases run: ${Object.entries(casesRun).map(([k, b]) => `${k} ${b}`).join(', ')}; ${Math.round((Date.now() - t0) / 1000)} s`,
      ]);
      console.log(report);
      if (process.env.FLOTILLA_FUZZ_REPORT) fs.writeFileSync(process.env.FLOTILLA_FUZZ_REPORT, `${report}\n`);
    }
    await cp?.stop();
    if (c) fs.rmSync(c.dir, { recursive: true, force: true });
  }, 60_000);

  it('answers mutated objects of every kind, with every verb, patch type and dry run, safely', () => fuzz('objects', objectCase(tokens)), TEST_TIMEOUT_MS);

  it('answers hostile paths, query strings, methods and headers safely', () => fuzz('paths', pathCase(tokens)), TEST_TIMEOUT_MS);

  it('answers malformed raw requests and hostile WebSocket upgrades safely', () => fuzz('raw', apiRawCase(tokens.admin)), TEST_TIMEOUT_MS);

  // (The objects made before fuzzing are compared after every case, in Runner.run.)
  it('leaves the store intact: everything lists, reads back and parses, the same after a restart', async () => {
    const before = await readEverything(target, tokens.admin);
    // A restart from the data folder reads the datafile back.
    await cp.stop();
    cp = await startControlPlane({ dataDir: `${c.dir}/data`, port: 0 });
    const u = new URL(cp.url);
    const after = await readEverything({ host: u.hostname, port: Number(u.port), ca: cp.caCert }, tokens.admin);
    const lost = [...before.objects].filter(([k, rv]) => after.objects.get(k) !== rv).map(([k, rv]) => `${k}@${rv} -> ${after.objects.get(k) ?? 'missing'}`);
    const appeared = [...after.objects.keys()].filter((k) => !before.objects.has(k));
    console.log(`store check: ${before.objects.size} objects before the restart, ${after.objects.size} after`);
    expect({ problemsBefore: before.problems, problemsAfter: after.problems, lost, appeared }).toEqual({
      problemsBefore: [],
      problemsAfter: [],
      lost: [],
      appeared: [],
    });
  }, 120_000);
});
