import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, type ResourceDef } from '../../api/resources.js';
import type { Store, ScanItem } from '../../store/store.js';
import type { StoreEvent } from '../../store/events.js';
import { StoreError } from '../../store/events.js';
import { matchesRequirements, type LabelRequirement } from '../../api/selectors/labels.js';
import { matchesFields, type FieldRequirement } from '../../api/selectors/fields.js';
import { errors } from '../status.js';
import { sendError } from '../http.js';
import { toTable, type IncludeObject } from './table.js';

// `?watch=true`: a chunked stream of one JSON event per line, flushed per event. Starting points
// follow kube-apiserver: no resourceVersion or "0" sends the current state as ADDED first; a
// resourceVersion N replays every change after N from the history, or answers 410 Expired when N
// is older than the history. Selectors turn changes into the transitions a filtered client must
// see (an object that stops matching is DELETED for it).

export interface WatchParams {
  resource: ResourceDef;
  namespace?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  sendInitialEvents?: boolean;
  table?: { include: IncludeObject };
  bookmarkIntervalMs?: number;
}

const DEFAULT_TIMEOUT_S = 1800;

/**
 * Each change is encoded once per (event type, encoding) and the same bytes go to every watcher,
 * as kube-apiserver's watch cache does, instead of once per watcher. The store hands a change to
 * all of its watchers in one synchronous loop, so remembering the frames of the one change being
 * delivered is enough (a replay from the history, which is rare, just encodes again).
 */
let framesOf: StoreEvent | undefined;
const frames = new Map<string, string>();

function sharedFrame(ev: StoreEvent, type: string, encoding: string, encode: () => string): string {
  if (framesOf !== ev) {
    framesOf = ev;
    frames.clear();
  }
  const key = `${type} ${encoding}`;
  let frame = frames.get(key);
  if (frame === undefined) frames.set(key, (frame = encode()));
  return frame;
}

export function serveWatch(res: ServerResponse, store: Store, p: WatchParams): void {
  const r = p.resource;
  const matches = (o: KubeObject | undefined): boolean => {
    if (!o) return false;
    if (r.namespaced && p.namespace && o.metadata.namespace !== p.namespace) return false;
    if (p.labels.length && !matchesRequirements(p.labels, o.metadata.labels)) return false;
    if (p.fields.length && !matchesFields(p.fields, r.key, o)) return false;
    return true;
  };

  /** One event line; `json` is the object's JSON (what the store holds), `obj` only for control events. */
  const encode = (type: string, json: string | undefined, obj?: unknown): string => {
    if (p.table && type !== 'BOOKMARK' && type !== 'ERROR') {
      const o = (obj ?? JSON.parse(json!)) as KubeObject;
      return `{"type":"${type}","object":${JSON.stringify(toTable(r, [o], p.table.include, { resourceVersion: o.metadata.resourceVersion }))}}\n`;
    }
    return `{"type":"${type}","object":${json ?? JSON.stringify(obj)}}\n`;
  };
  const encoding = p.table ? `table:${p.table.include}` : 'json';

  const initial: ScanItem[] = [];
  let fromRV: number;
  const rvParam = p.resourceVersion;
  const sendInitial = p.sendInitialEvents ?? (!rvParam || rvParam === '0');
  if (rvParam && rvParam !== '0' && !/^\d+$/.test(rvParam)) {
    sendError(res, errors.badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`));
    return;
  }
  if (sendInitial) {
    fromRV = store.currentRV();
    const prefix = r.namespaced && p.namespace ? `${p.namespace}/` : '';
    for (const e of store.scan(r.key, prefix)) if (matches(e.sel)) initial.push(e);
  } else {
    fromRV = Number(rvParam);
    // A resourceVersion from the future (e.g. from before the store was wiped) would leave the
    // client silently waiting; kube answers "Too large resource version". Answer 410 so that
    // every client (client-go and client-node alike) relists.
    if (fromRV > store.currentRV()) {
      sendError(res, errors.expired(`too large resource version: ${fromRV}, current: ${store.currentRV()}`));
      return;
    }
  }

  const queue: string[] = [];
  let stop: (() => void) | undefined;
  let lastRV = fromRV;
  const onEvent = (ev: StoreEvent) => {
    const now = matches(ev.sel);
    const before = ev.type === 'MODIFIED' ? matches(ev.prev) : false;
    let type: string | undefined;
    if (ev.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (ev.type === 'DELETED') type = now ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    lastRV = ev.rv;
    if (type) write(sharedFrame(ev, type, encoding, () => encode(type, ev.json)));
  };
  let write = (chunk: string) => void queue.push(chunk);
  try {
    stop = store.watch(r.key, fromRV, onEvent);
  } catch (e) {
    if (e instanceof StoreError && e.reason === 'Expired') {
      sendError(res, errors.expired(e.message));
      return;
    }
    throw e;
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  // Node holds headers until the first write; clients such as `kubectl rollout status` wait on them.
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  write = (chunk: string) => {
    if (!res.writableEnded) res.write(chunk);
  };
  for (const e of initial) write(encode('ADDED', e.json));
  if (p.sendInitialEvents && p.bookmarks) {
    write(encode('BOOKMARK', undefined, { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(fromRV), annotations: { 'k8s.io/initial-events-end': 'true' } } }));
  }
  for (const c of queue) write(c);

  const timeout = Math.min(p.timeoutSeconds ?? DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S);
  const timer = setTimeout(() => res.end(), timeout * 1000);
  // Bookmarks keep idle streams alive (client-node 2.x drops a watch after 30 s of silence) and
  // let clients resume from a recent resourceVersion.
  const bm = p.bookmarks
    ? setInterval(() => {
        write(encode('BOOKMARK', undefined, { kind: r.kind, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(Math.max(lastRV, fromRV)) } }));
      }, p.bookmarkIntervalMs ?? 10_000)
    : undefined;
  // On Node 20, req 'close' fires once the request body is read; the response's close is the
  // reliable signal that the client went away.
  res.on('close', () => {
    clearTimeout(timer);
    if (bm) clearInterval(bm);
    stop?.();
  });
}
