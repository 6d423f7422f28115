import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Datastore from 'nedb-promises';
import { rate, round } from '../lib/stats.js';

// The storage floor: raw nedb-promises inserts into a datafile, in the document shape the store's
// version log writes ({_id: rv, r: resource, k: key, j: object JSON}). Sequential = one insert
// (one appendFile) per document, each awaited; batched = one insert of an array of `batch`
// documents per append, each awaited.

interface Doc {
  _id: string;
  r: string;
  k: string;
  j: string;
}

export interface NedbFloorResult {
  sequential: { docs: number; elapsedMs: number; insertsPerSec: number; truncated: boolean };
  batched: { batchSize: number; batches: number; docs: number; elapsedMs: number; insertsPerSec: number; batchesPerSec: number; truncated: boolean };
  docBytes: number;
}

export async function nedbFloor(opts: { dir: string; objectJSON: (i: number) => string; sequentialDocs: number; batches: number; batchSize: number; maxMs: number }): Promise<NedbFloorResult> {
  const doc = (i: number): Doc => ({ _id: String(i + 1), r: 'configmaps', k: `bench/cm-${i}`, j: opts.objectJSON(i) });

  const seqDb = Datastore.create({ filename: path.join(opts.dir, 'sequential.db'), autoload: false });
  await seqDb.load();
  let n = 0;
  let t0 = performance.now();
  let deadline = t0 + opts.maxMs;
  while (n < opts.sequentialDocs && performance.now() < deadline) {
    await seqDb.insert(doc(n));
    n++;
  }
  const seqMs = performance.now() - t0;

  const batchDb = Datastore.create({ filename: path.join(opts.dir, 'batched.db'), autoload: false });
  await batchDb.load();
  let b = 0;
  t0 = performance.now();
  deadline = t0 + opts.maxMs;
  while (b < opts.batches && performance.now() < deadline) {
    const docs: Doc[] = [];
    for (let j = 0; j < opts.batchSize; j++) docs.push(doc(b * opts.batchSize + j));
    await batchDb.insert(docs);
    b++;
  }
  const batchMs = performance.now() - t0;

  return {
    sequential: { docs: n, elapsedMs: round(seqMs, 1), insertsPerSec: rate(n, seqMs), truncated: n < opts.sequentialDocs },
    batched: {
      batchSize: opts.batchSize,
      batches: b,
      docs: b * opts.batchSize,
      elapsedMs: round(batchMs, 1),
      insertsPerSec: rate(b * opts.batchSize, batchMs),
      batchesPerSec: rate(b, batchMs),
      truncated: b < opts.batches,
    },
    docBytes: JSON.stringify(doc(0)).length,
  };
}
