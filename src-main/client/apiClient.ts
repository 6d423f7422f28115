import https from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { KubeList, KubeObject, Status } from '../api/types.js';
import { apiVersionOf, resourceByKey, type ResourceDef } from '../api/resources.js';

// The typed API client every component uses (controllers, scheduler, kubelets, hollow nodes):
// HTTPS with the cluster CA and a bearer token over keep-alive connections. Errors are the
// server's metav1.Status, thrown as ApiRequestError.

export interface ClientConfig {
  url: string;
  token: string;
  ca: string;
  userAgent?: string;
  /** Concurrent connections for ordinary requests (watches get their own sockets). */
  maxSockets?: number;
}

export class ApiRequestError extends Error {
  constructor(
    readonly code: number,
    readonly status: Status | undefined,
    message: string,
  ) {
    super(message);
  }
  get reason(): string | undefined {
    return this.status?.reason;
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 404;
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 409;
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiRequestError && e.code === 409 && e.reason === 'AlreadyExists';
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';
const PATCH_CT: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  limit?: number;
  continue?: string;
}

export interface WatchQuery extends ListQuery {
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface WatchHandle {
  stop(): void;
}

export interface DeleteOpts {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

function def(key: string): ResourceDef {
  const r = resourceByKey(key);
  if (!r) throw new Error(`unknown resource ${key}`);
  return r;
}

export function resourcePath(r: ResourceDef, namespace?: string, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

function query(q: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') parts.push(`${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export class ApiClient {
  private readonly agent: https.Agent;
  private readonly base: URL;
  #closed = false;
  /** Open watch requests, ended by close(). */
  readonly #watches = new Set<ClientRequest>();

  constructor(readonly config: ClientConfig) {
    this.base = new URL(config.url);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: config.maxSockets ?? 32, ca: config.ca });
  }

  /**
   * Ends every pooled connection. Later requests and watches fail at once instead of opening new
   * connections through the destroyed pool: a component's last in-flight work must not keep a
   * connection alive that the API server's shutdown then waits for.
   */
  close(): void {
    this.#closed = true;
    this.agent.destroy();
    for (const w of this.#watches) w.destroy();
    this.#watches.clear();
  }

  /** One request; resolves to the parsed JSON body, throws ApiRequestError for >= 400. */
  request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`${method} ${path}: the API client is closed`));
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.config.token}`,
            Accept: 'application/json',
            'User-Agent': this.config.userAgent ?? 'flotilla',
            ...(payload !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            const code = res.statusCode ?? 0;
            if (code >= 400) {
              const st = json as Status | undefined;
              reject(new ApiRequestError(code, st, st?.message ?? `${method} ${path}: HTTP ${code}`));
            } else resolve(json as T);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  get<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(def(resource), namespace, name));
  }

  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string, q: ListQuery = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(def(resource), namespace) + query({ ...q }));
  }

  create<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, obj: KubeObject): Promise<T> {
    const r = def(resource);
    return this.request<T>('POST', resourcePath(r, namespace), { apiVersion: apiVersionOf(r), kind: r.kind, ...obj });
  }

  /** PUT of the whole object (or of its /status); obj.metadata.resourceVersion makes it conditional. */
  update<T extends KubeObject = KubeObject>(resource: string, obj: KubeObject, sub?: 'status'): Promise<T> {
    const r = def(resource);
    return this.request<T>('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name, sub), { apiVersion: apiVersionOf(r), kind: r.kind, ...obj });
  }

  patch<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', sub?: string, fieldManager?: string): Promise<T> {
    const q = fieldManager ? query({ fieldManager }) : '';
    return this.request<T>('PATCH', resourcePath(def(resource), namespace, name, sub) + q, patch, PATCH_CT[type]);
  }

  /** Server-side apply of a whole object as `fieldManager`, taking over conflicting fields (force). */
  apply<T extends KubeObject = KubeObject>(resource: string, obj: KubeObject, fieldManager: string): Promise<T> {
    const r = def(resource);
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name) + query({ fieldManager, force: true });
    return this.request<T>('PATCH', path, { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, PATCH_CT.apply);
  }

  delete<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string, opts: DeleteOpts = {}): Promise<T> {
    return this.request<T>('DELETE', resourcePath(def(resource), namespace, name), { kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
  }

  bind(namespace: string, pod: string, node: string): Promise<unknown> {
    return this.request('POST', resourcePath(def('pods'), namespace, pod, 'binding'), {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod, namespace },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
  }

  /**
   * Streams watch events until the server ends the stream, the connection fails, or stop() is
   * called; then onEnd runs once (with the error, if any). An HTTP 410 arrives as onEnd(error
   * with code 410) so informers can relist.
   */
  watch<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void, onEnd: (err?: Error) => void): WatchHandle {
    const path = resourcePath(def(resource), namespace) + query({ ...q, watch: true });
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    if (this.#closed) {
      queueMicrotask(() => end(new Error(`watch ${path}: the API client is closed`)));
      return { stop: () => void (ended = true) };
    }
    // Watches hold their connection for minutes: keep them off the shared pool.
    const req = https.request(
      {
        host: this.base.hostname,
        port: this.base.port,
        method: 'GET',
        path,
        ca: this.config.ca,
        agent: false,
        headers: { Authorization: `Bearer ${this.config.token}`, Accept: 'application/json', 'User-Agent': this.config.userAgent ?? 'flotilla' },
      },
      (res: IncomingMessage) => {
        if ((res.statusCode ?? 0) >= 400) {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            let st: Status | undefined;
            try {
              st = JSON.parse(text) as Status;
            } catch {
              st = undefined;
            }
            end(new ApiRequestError(res.statusCode ?? 0, st, st?.message ?? `watch ${path}: HTTP ${res.statusCode}`));
          });
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (d: string) => {
          buf += d;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (!line) continue;
            let ev: WatchEvent<T>;
            try {
              ev = JSON.parse(line) as WatchEvent<T>;
            } catch (e) {
              req.destroy();
              end(e as Error);
              return;
            }
            if (ev.type === 'ERROR') {
              const st = ev.object as unknown as Status;
              req.destroy();
              end(new ApiRequestError(st.code ?? 500, st, st.message ?? 'watch error'));
              return;
            }
            onEvent(ev);
          }
        });
        res.on('end', () => end());
        res.on('error', (e) => end(e));
        res.on('close', () => end());
      },
    );
    req.on('error', (e) => end(e));
    this.#watches.add(req);
    req.on('close', () => this.#watches.delete(req));
    req.end();
    return {
      stop: () => {
        ended = true;
        req.destroy();
      },
    };
  }
}
