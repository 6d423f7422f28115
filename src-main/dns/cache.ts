import { AA, AD, CD, DO, QType, RA, Rcode, opcodeOf, rcodeOf, type Message, type ResourceRecord } from './wire.js';

// CoreDNS's cache plugin as kubeadm configures it (`cache 30`), from plugin/cache/{cache,handler,
// item}.go, plugin/pkg/response/typify.go and plugin/pkg/dnsutil/ttl.go:
// - the key is the lower-cased name, the type, and the query's DO and CD bits;
// - a response's TTL is the smallest TTL of its records (5 s when it has none), clamped to
//   [5 s, 30 s] for answers and for NXDOMAIN/NODATA; an upstream's SERVFAIL is kept 5 s;
//   truncated responses and other errors (REFUSED, FORMERR, ...) are not kept;
// - every record of the response is rewritten to that TTL, the first time too; a hit counts it
//   down by the whole seconds since it was stored and is authoritative (CoreDNS sets AA on hits);
// - positive and negative entries live in two caches of 10,000 entries; the negative one is
//   looked at first.

export type ResponseType = 'NoError' | 'NameError' | 'NoData' | 'Delegation' | 'ServerError' | 'OtherError' | 'Meta' | 'Update';

const OPCODE_NOTIFY = 4;
const OPCODE_UPDATE = 5;

export function typify(m: Message): ResponseType {
  const opcode = opcodeOf(m.flags);
  if (opcode === OPCODE_UPDATE) return 'Update';
  if (opcode === OPCODE_NOTIFY) return 'Meta';
  const qtype = m.questions[0]?.type;
  if (qtype === QType.AXFR || qtype === QType.IXFR) return 'Meta';
  const rcode = rcodeOf(m);
  if (m.answers.length > 0 && rcode === Rcode.NoError) return 'NoError';
  let soa = false;
  let ns = 0;
  for (const r of m.authorities) {
    if (r.type === QType.SOA) soa = true;
    else if (r.type === QType.NS) ns++;
  }
  if (soa && rcode === Rcode.NoError) return 'NoData';
  if (soa && rcode === Rcode.NXDomain) return 'NameError';
  if (rcode === Rcode.ServFail || rcode === Rcode.NotImp) return 'ServerError';
  if (ns > 0 && rcode === Rcode.NoError) return 'Delegation';
  if (rcode === Rcode.NoError) return 'NoError';
  return 'OtherError';
}

const MINIMAL_DEFAULT_TTL = 5;
const MAXIMUM_DEFAULT_TTL = 3600;

/** dnsutil.MinimalTTL, in seconds. */
export function minimalTTL(m: Message, t: ResponseType): number {
  if (t !== 'NoError' && t !== 'NameError' && t !== 'NoData') return MINIMAL_DEFAULT_TTL;
  if (m.answers.length + m.authorities.length === 0 && m.additionals.length === 0) return MINIMAL_DEFAULT_TTL;
  let min = MAXIMUM_DEFAULT_TTL;
  for (const list of [m.answers, m.authorities, m.additionals]) for (const r of list) if (r.ttl < min) min = r.ttl;
  return min;
}

export interface CacheOptions {
  /** Seconds: the cap for answers (`cache 30`) and for denials. */
  successTTL: number;
  denialTTL: number;
  minSuccessTTL: number;
  minDenialTTL: number;
  /** Seconds an upstream's SERVFAIL is kept. */
  servfailTTL: number;
  capacity: number;
  /** Milliseconds. */
  now: () => number;
}

export const DEFAULT_CACHE_OPTIONS: CacheOptions = {
  successTTL: 30,
  denialTTL: 30,
  minSuccessTTL: MINIMAL_DEFAULT_TTL,
  minDenialTTL: MINIMAL_DEFAULT_TTL,
  servfailTTL: MINIMAL_DEFAULT_TTL,
  capacity: 10_000,
  now: Date.now,
};

interface Item {
  name: string;
  qtype: number;
  rcode: number;
  ad: boolean;
  ra: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  origTTL: number;
  storedMs: number;
}

export interface CacheKey {
  /** Lower case. */
  name: string;
  qtype: number;
  do: boolean;
  cd: boolean;
}

function keyString(k: CacheKey): string {
  return `${k.do ? 1 : 0}${k.cd ? 1 : 0}${k.qtype}/${k.name}`;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

const withTTL = (list: ResourceRecord[], ttl: number) => list.map((r) => ({ ...r, ttl }));

export class DnsCache {
  private readonly positive = new Map<string, Item>();
  private readonly negative = new Map<string, Item>();
  readonly opts: CacheOptions;

  constructor(opts: Partial<CacheOptions> = {}) {
    this.opts = { ...DEFAULT_CACHE_OPTIONS, ...opts };
  }

  get size(): number {
    return this.positive.size + this.negative.size;
  }

  private remaining(i: Item, nowMs: number): number {
    return i.origTTL - Math.trunc((nowMs - i.storedMs) / 1000);
  }

  /** The cached reply to req, built as item.toMsg does; undefined on a miss or an expired entry. */
  lookup(key: CacheKey, req: Message): Message | undefined {
    const k = keyString(key);
    const now = this.opts.now();
    for (const store of [this.negative, this.positive]) {
      const i = store.get(k);
      if (!i || i.qtype !== key.qtype || i.name !== key.name) continue;
      const ttl = this.remaining(i, now);
      if (ttl <= 0) continue;
      const reqAD = (req.flags & AD) !== 0;
      let flags = 0x8000 | (req.flags & 0x7800) | AA | (i.rcode & 0xf);
      if (opcodeOf(req.flags) === 0) flags |= req.flags & (0x0100 | CD);
      if (i.ad && (key.do || reqAD)) flags |= AD;
      if (i.ra) flags |= RA;
      return {
        id: req.id,
        flags,
        questions: req.questions.slice(0, 1),
        answers: withTTL(i.answers, ttl),
        authorities: withTTL(i.authorities, ttl),
        additionals: withTTL(i.additionals, ttl),
      };
    }
    return undefined;
  }

  /**
   * The cache's ResponseWriter.WriteMsg: keeps res when it may (store=false for answers that
   * must not be kept), and returns res with every TTL set to the cache duration.
   */
  written(key: CacheKey, res: Message, matches: boolean, reqAD: boolean, store = true): Message {
    const t = typify(res);
    const keyable = (res.flags & 0x0200) === 0 && t !== 'OtherError' && t !== 'Meta' && t !== 'Update';
    const msgTTL = minimalTTL(res, t);
    const o = this.opts;
    let duration: number;
    if (t === 'NameError' || t === 'NoData') duration = clamp(msgTTL, o.minDenialTTL, o.denialTTL);
    else if (t === 'ServerError') duration = o.servfailTTL;
    else duration = clamp(msgTTL, o.minSuccessTTL, o.successTTL);

    if (store && keyable && duration > 0 && matches) {
      const item: Item = {
        name: key.name,
        qtype: key.qtype,
        rcode: rcodeOf(res),
        ad: (res.flags & AD) !== 0,
        ra: (res.flags & RA) !== 0,
        answers: withTTL(res.answers, duration),
        authorities: withTTL(res.authorities, duration),
        additionals: withTTL(res.additionals, duration),
        origTTL: duration,
        storedMs: this.opts.now(),
      };
      const positive = t === 'NoError' || t === 'Delegation';
      this.put(positive ? this.positive : this.negative, keyString(key), item);
    }
    let flags = res.flags;
    if (!key.do && !reqAD) flags &= ~AD;
    return {
      ...res,
      flags,
      answers: withTTL(res.answers, duration),
      authorities: withTTL(res.authorities, duration),
      additionals: withTTL(res.additionals, duration),
    };
  }

  private put(store: Map<string, Item>, k: string, item: Item): void {
    store.delete(k);
    if (store.size >= this.opts.capacity) {
      const oldest = store.keys().next();
      if (!oldest.done) store.delete(oldest.value);
    }
    store.set(k, item);
  }
}

export function cacheKeyOf(req: Message, lowerQName: string): CacheKey {
  return { name: lowerQName, qtype: req.questions[0]!.type, do: ((req.edns?.flags ?? 0) & DO) !== 0, cd: (req.flags & CD) !== 0 };
}
