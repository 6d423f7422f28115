// The message kube-scheduler gives when a pod fits nowhere (framework.FitError.Error()):
//
//   0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.
//
// Each node contributes the reasons of the first filter that rejected it; the histogram entries
// are "<count> <reason>" sorted as Go's sort.Strings sorts them (bytewise, so "10 x" < "2 y").
// kube 1.32 then appends its preemption outcome; Flotilla has no preemption and omits it.

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Go's string order: by UTF-8 bytes, which is code point order. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP character in UTF-8.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

export function sortedReasonHistogram(reasons: ReadonlyMap<string, number> | Record<string, number>): string[] {
  const entries = reasons instanceof Map ? [...reasons] : Object.entries(reasons);
  return entries.map(([reason, count]) => `${count} ${reason}`).sort(compareGoStrings);
}

export function fitErrorMessage(numAllNodes: number, reasons: ReadonlyMap<string, number> | Record<string, number>): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  const parts = sortedReasonHistogram(reasons);
  let msg = `0/${numAllNodes} nodes are available:`;
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}
