import fc from 'fast-check';
import { query } from '../../helpers/dns.js';

// Hostile DNS messages: random bytes, and valid queries with byte-level mutations (flipped and
// overwritten octets, header counts set to extremes, cut short, stretched with garbage,
// compression pointers aimed anywhere) — what a resolver's parser must survive.

const NAMES = ['web.default.svc.cluster.local', '_http._tcp.web.default.svc.cluster.local', 'hl.default.svc.cluster.local', '5.0.96.10.in-addr.arpa', 'example.com', '1-2-3-4.default.pod.cluster.local', 'cluster.local', '.'];
const TYPES = ['A', 'AAAA', 'SRV', 'PTR', 'TXT', 'SOA', 'NS', 'CNAME', 'MX', 'ANY', 'AXFR', 'OPT', 'CAA'];

export const validQuery = fc
  .record({
    name: fc.constantFrom(...NAMES),
    type: fc.constantFrom(...TYPES),
    id: fc.integer({ min: 0, max: 0xffff }),
    edns: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
  })
  .map((q) => query(q.name, q.type, { id: q.id, edns: q.edns }));

export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'count'; which: number; value: number }
  | { kind: 'cut'; keep: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'pointer'; at: number; target: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('count' as const), which: fc.integer({ min: 0, max: 3 }), value: fc.constantFrom(0, 1, 2, 3, 0x7fff, 0xffff) }),
  fc.record({ kind: fc.constant('cut' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('pointer' as const), at: fc.nat(), target: fc.integer({ min: 0, max: 0x3fff }) }),
);

export function mutate(msg: Buffer, ms: ByteMutation[]): Buffer {
  let b = Buffer.from(msg);
  for (const m of ms) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip':
        b[m.at % b.length]! ^= 1 << m.bit;
        break;
      case 'set':
        b[m.at % b.length] = m.value;
        break;
      case 'count':
        if (b.length >= 12) b.writeUInt16BE(m.value, 4 + 2 * m.which);
        break;
      case 'cut':
        b = b.subarray(0, m.keep % (b.length + 1));
        break;
      case 'append':
        b = Buffer.concat([b, m.bytes]);
        break;
      case 'pointer':
        if (b.length >= 2) {
          const at = m.at % (b.length - 1);
          b.writeUInt16BE(0xc000 | m.target, at);
        }
        break;
    }
  }
  return b;
}

export const hostileMessage: fc.Arbitrary<{ bytes: Buffer; note: string }> = fc.oneof(
  fc.uint8Array({ maxLength: 700 }).map((u) => ({ bytes: Buffer.from(u), note: 'random bytes' })),
  fc.tuple(validQuery, fc.array(byteMutation, { minLength: 1, maxLength: 6 })).map(([q, ms]) => ({ bytes: mutate(q, ms), note: `mutated: ${JSON.stringify(ms)}` })),
);
