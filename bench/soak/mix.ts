import type { Client, Response } from '../lib/client.js';

// The soak's request mix, one operation per scheduled slot: reads (get, list, list with a
// selector), writes (create, update by PUT with the last resourceVersion or by merge patch, delete)
// over a bounded keyspace whose live size stays between 40% and 60% of it (so the store neither
// grows nor empties), and hostile requests (bad JSON, bad paths, 10,000-deep JSON, wrong types,
// 4 MB bodies, dry runs, selectors that do not parse). Names with a request in flight are not
// picked again, so the mix never conflicts with itself (a 409 is then a server fault).

export type Klass = 'read' | 'write' | 'hostile';

export interface OpResult extends Response {
  klass: Klass;
  op: string;
}

const PAYLOAD = 'x'.repeat(200);
const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const BIG = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'too-big' }, data: { big: 'x'.repeat(4 * 1024 * 1024) } });

/** Weighted operations (weights sum to 100). */
const WEIGHTS: [string, number][] = [
  ['get', 30],
  ['list', 10],
  ['list-selector', 10],
  ['create', 12],
  ['update', 15],
  ['delete', 8],
  ['hostile', 15],
];

const HOSTILE: [string, number][] = [
  ['bad-json', 3],
  ['bad-path', 3],
  ['deep-json', 3],
  ['wrong-type', 3],
  ['big-body', 1],
  ['dry-run', 3],
  ['bad-selector', 3],
];

function pick(table: [string, number][], r: number): string {
  const total = table.reduce((a, [, w]) => a + w, 0);
  let x = r * total;
  for (const [name, w] of table) {
    if ((x -= w) < 0) return name;
  }
  return table[table.length - 1]![0];
}

export class Mix {
  private readonly live = new Map<string, string | undefined>();
  private readonly busy = new Set<string>();
  private readonly base: string;

  constructor(
    private readonly main: Client,
    /** A client of its own for hostile requests: a 413 may reset the connection it came on. */
    private readonly hostile: Client,
    private readonly ns: string,
    private readonly keyspace: number,
  ) {
    this.base = `/api/v1/namespaces/${ns}/configmaps`;
  }

  get liveObjects(): number {
    return this.live.size;
  }

  private object(name: string, k: number, extra: Record<string, string> = {}) {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: this.ns, labels: { app: 'soak', shard: String(k % 16) } }, data: { payload: PAYLOAD, sent: String(performance.now()), ...extra } };
  }

  /** A free name that exists (or does not), or undefined. */
  private name(exists: boolean): string | undefined {
    for (let tries = 0; tries < 20; tries++) {
      const n = `soak-${Math.floor(Math.random() * this.keyspace)}`;
      if (!this.busy.has(n) && this.live.has(n) === exists) return n;
    }
    return undefined;
  }

  private rvOf(body: string): string | undefined {
    try {
      return (JSON.parse(body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    } catch {
      return undefined;
    }
  }

  /** Fills the keyspace to half (warm-up). */
  async fill(): Promise<void> {
    for (let k = 0; k < this.keyspace / 2; k++) await this.create(`soak-${k * 2}`);
  }

  private async create(name: string): Promise<Response> {
    this.busy.add(name);
    try {
      const r = await this.main.request('POST', this.base, JSON.stringify(this.object(name, Number(name.slice(5)))));
      if (r.status === 201) this.live.set(name, this.rvOf(r.body));
      return r;
    } finally {
      this.busy.delete(name);
    }
  }

  /** A merge patch of a live object (warm-up: fills the watch history), keeping its resourceVersion current. */
  async touch(): Promise<Response> {
    const name = this.name(true);
    if (!name) return { status: 409, body: 'no free live object', ms: 0 };
    this.busy.add(name);
    try {
      const res = await this.main.request('PATCH', `${this.base}/${name}`, JSON.stringify({ data: { warm: String(performance.now()) } }), 'application/merge-patch+json');
      if (res.status === 200) this.live.set(name, this.rvOf(res.body));
      return res;
    } finally {
      this.busy.delete(name);
    }
  }

  /** One operation; a transport error (reset, timeout) comes back as status 0 in its class. */
  async run(r: number): Promise<OpResult> {
    const op = pick(WEIGHTS, r);
    const klass: Klass = op === 'hostile' ? 'hostile' : op === 'get' || op.startsWith('list') ? 'read' : 'write';
    try {
      return await this.runOp(op, r);
    } catch (e) {
      return { status: 0, body: (e as Error).message, ms: 0, klass, op };
    }
  }

  private async runOp(picked: string, r: number): Promise<OpResult> {
    let op = picked;
    const share = this.live.size / this.keyspace;
    if (op === 'create' && share > 0.6) op = 'update';
    if (op === 'delete' && share < 0.4) op = 'create';
    const existing = op === 'get' || op === 'update' || op === 'delete' ? this.name(true) : undefined;
    if ((op === 'get' || op === 'update' || op === 'delete') && !existing) op = 'list';
    switch (op) {
      case 'get': {
        // Held like a write, so a delete in flight never turns a read into a 404.
        this.busy.add(existing!);
        try {
          return { ...(await this.main.request('GET', `${this.base}/${existing}`)), klass: 'read', op };
        } finally {
          this.busy.delete(existing!);
        }
      }
      case 'list':
        return { ...(await this.main.request('GET', this.base)), klass: 'read', op };
      case 'list-selector':
        return { ...(await this.main.request('GET', `${this.base}?labelSelector=${encodeURIComponent(`shard=${Math.floor(Math.random() * 16)}`)}&limit=50`)), klass: 'read', op };
      case 'create': {
        const name = this.name(false);
        if (!name) return { ...(await this.main.request('GET', this.base)), klass: 'read', op: 'list' };
        return { ...(await this.create(name)), klass: 'write', op };
      }
      case 'update': {
        const name = existing!;
        this.busy.add(name);
        try {
          const k = Number(name.slice(5));
          const usePut = Math.random() < 0.5 && this.live.get(name) !== undefined;
          const res = usePut
            ? await this.main.request('PUT', `${this.base}/${name}`, JSON.stringify({ ...this.object(name, k), metadata: { ...this.object(name, k).metadata, resourceVersion: this.live.get(name) } }))
            : await this.main.request('PATCH', `${this.base}/${name}`, JSON.stringify({ data: { sent: String(performance.now()), n: String(r) } }), 'application/merge-patch+json');
          if (res.status === 200) this.live.set(name, this.rvOf(res.body));
          return { ...res, klass: 'write', op: usePut ? 'update-put' : 'update-patch' };
        } finally {
          this.busy.delete(name);
        }
      }
      case 'delete': {
        const name = existing!;
        this.busy.add(name);
        try {
          const res = await this.main.request('DELETE', `${this.base}/${name}`);
          if (res.status === 200 || res.status === 404) this.live.delete(name);
          return { ...res, klass: 'write', op };
        } finally {
          this.busy.delete(name);
        }
      }
      default:
        return { ...(await this.hostileOp(pick(HOSTILE, Math.random()))), klass: 'hostile' };
    }
  }

  private async hostileOp(op: string): Promise<Response & { op: string }> {
    const c = this.hostile;
    const paths = [`/api/v1/namespaces/%zz/configmaps`, `${this.base}/..`, `${this.base}/%2e%2e`, '//[', '/apis/nope/v1/things', `${this.base}?limit=abc&resourceVersion=x`];
    switch (op) {
      case 'bad-json':
        return { ...(await c.request('POST', this.base, '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":')), op };
      case 'bad-path':
        return { ...(await c.request('GET', paths[Math.floor(Math.random() * paths.length)]!)), op };
      case 'deep-json':
        return { ...(await c.request('POST', this.base, DEEP)), op };
      case 'wrong-type':
        return { ...(await c.request('POST', this.base, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'wrong-type', labels: 'app=soak', finalizers: 'x' }, data: { a: 1 } }))), op };
      case 'big-body':
        return { ...(await c.request('POST', this.base, BIG)), op };
      case 'dry-run': {
        const name = this.name(true);
        if (name && Math.random() < 0.5) return { ...(await c.request('DELETE', `${this.base}/${name}?dryRun=All`)), op: 'dry-run-delete' };
        return { ...(await c.request('POST', `${this.base}?dryRun=All`, JSON.stringify(this.object('soak-dry-run', 0)))), op: 'dry-run-create' };
      }
      default:
        return { ...(await c.request('GET', `${this.base}?labelSelector=${encodeURIComponent(Math.random() < 0.5 ? 'a in (' : 'x'.repeat(10_000))}`)), op: 'bad-selector' };
    }
  }
}
