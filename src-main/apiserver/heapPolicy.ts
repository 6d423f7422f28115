import v8 from 'node:v8';

// How the process hosting the API server lets V8 grow its heap.
//
// After each full garbage collection V8 sets the next one's threshold at (live heap) x (a growing
// factor) that it derives from how fast the program allocates old objects compared with how fast
// it collects them: up to 4x on a machine whose heap limit is 2 GB or more. The API server holds a
// large, slowly changing live set (every object's JSON in the store, the informer caches of the
// in-process controllers) while promoting a steady stream of objects that die soon after (each
// write replaces an object's JSON, each watch event replaces an informer's copy), which drives the
// factor to its maximum: in bench:deployments (10,000 pods) ~170 MB were live while the heap
// grew to ~550 MB between full collections, most of the control plane's peak RSS. A fixed factor
// of 1.5 keeps the heap near the live set for a few more (concurrently marked) full collections.
//
// A --heap-growing-percent given on the command line or in NODE_OPTIONS wins;
// FLOTILLA_HEAP_GROWING_PERCENT=0 leaves V8's own policy in place.

export const DEFAULT_HEAP_GROWING_PERCENT = 50;

let applied = false;

export function applyHeapPolicy(): void {
  if (applied) return;
  applied = true;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent/.test(a));
  if (given) return;
  const env = process.env.FLOTILLA_HEAP_GROWING_PERCENT;
  const percent = env !== undefined && env !== '' ? Number(env) : DEFAULT_HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent <= 0) return;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
