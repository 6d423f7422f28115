import yaml from 'js-yaml';
import type { FuzzCase } from './common.js';
import type { RawResponse } from './rawHttp.js';

// What a single answer must be, whatever was asked: no 5xx (a 503 only where a kubelet is needed
// and there is none), every error a metav1.Status, nothing slower than the bound, a JSON success
// that parses. Answers of the HTTP layer itself (a bare 400/408/413/414/417/431/505 with no body,
// as Node's parser and Go's net/http both give for a malformed request) are not the API's errors.

export interface Violation {
  property: 'server-error' | 'not-a-status' | 'slow' | 'no-answer' | 'bad-json' | 'crash' | 'not-ready' | 'wrote-when-kube-would-not' | 'sentinel-changed' | 'prototype-polluted' | 'accepted-wrong-type';
  detail: string;
}

const HTTP_LAYER = new Set([400, 408, 413, 414, 417, 431, 505]);

function header(r: RawResponse, name: string): string {
  return (r.headers[name] ?? []).join(', ');
}

/** Parses an error body as its content type says and tells whether it is a failure Status. */
function statusProblem(r: RawResponse): string | undefined {
  const ct = header(r, 'content-type');
  const text = r.body.toString('utf8');
  let doc: unknown;
  if (/protobuf/.test(ct)) {
    // A protobuf Status starts with the k8s envelope's magic number.
    return r.body.subarray(0, 4).toString('latin1') === 'k8s\u0000' ? undefined : `a protobuf error body without the k8s envelope`;
  }
  try {
    doc = /yaml/.test(ct) ? yaml.load(text) : JSON.parse(text);
  } catch {
    return `the error body is not ${/yaml/.test(ct) ? 'YAML' : 'JSON'} (Content-Type ${JSON.stringify(ct)}): ${JSON.stringify(text.slice(0, 200))}`;
  }
  const s = doc as { kind?: unknown; apiVersion?: unknown; status?: unknown; code?: unknown } | null;
  if (!s || typeof s !== 'object') return `the error body is not an object: ${JSON.stringify(text.slice(0, 200))}`;
  if (s.kind !== 'Status') return `the error body's kind is ${JSON.stringify(s.kind)}, not "Status": ${JSON.stringify(text.slice(0, 200))}`;
  if (s.status !== 'Failure') return `the Status says status ${JSON.stringify(s.status)}, not "Failure"`;
  if (s.code !== r.status) return `the Status says code ${JSON.stringify(s.code)} but the HTTP status is ${r.status}`;
  return undefined;
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function judge(c: FuzzCase, r: RawResponse, slowMs: number): Violation[] {
  const v: Violation[] = [];
  if (r.outcome === 'deadline') {
    v.push({ property: 'no-answer', detail: r.status ? `the answer (HTTP ${r.status}) did not finish within ${Math.round(r.totalMs)} ms` : `no answer and no close within ${Math.round(r.totalMs)} ms` });
    return v;
  }
  const firstByteMs = r.headMs ?? r.totalMs;
  if (firstByteMs > slowMs) v.push({ property: 'slow', detail: `the answer took ${Math.round(firstByteMs)} ms (bound ${slowMs} ms)` });
  else if (r.outcome !== 'stream-cut' && r.totalMs > slowMs) v.push({ property: 'slow', detail: `the answer's body took until ${Math.round(r.totalMs)} ms (bound ${slowMs} ms)` });
  if (r.status >= 500 && !(r.status === 503 && c.allow503) && !(r.status === 505 && r.body.length === 0)) {
    v.push({ property: 'server-error', detail: `HTTP ${r.status}: ${r.body.toString('utf8').slice(0, 300)}` });
  }
  const noBody = c.request.method === 'HEAD' || r.outcome === 'upgraded';
  if (r.status >= 400 && !noBody) {
    if (r.body.length === 0 && !header(r, 'content-type')) {
      if (!HTTP_LAYER.has(r.status)) v.push({ property: 'not-a-status', detail: `HTTP ${r.status} with an empty body` });
    } else if (r.outcome !== 'stream-cut') {
      const p = statusProblem(r);
      if (p) v.push({ property: 'not-a-status', detail: `HTTP ${r.status}: ${p}` });
    }
  }
  if (c.wrongType && r.status >= 200 && r.status < 300) {
    v.push({ property: 'accepted-wrong-type', detail: `HTTP ${r.status} for a body with ${c.wrongType.join(', ')} (Kubernetes' typed decoding answers 400)` });
  }
  if (r.status >= 200 && r.status < 300 && !noBody && r.outcome !== 'stream-cut' && /application\/json/.test(header(r, 'content-type'))) {
    const text = r.body.toString('utf8');
    // A watch is newline-delimited JSON: then every line must parse on its own, and a watch that
    // ended before any event (its timeout, or the client leaving) is a chunked stream of no lines.
    const lines = text.split('\n').filter((l) => l.trim());
    const emptyStream = lines.length === 0 && /chunked/i.test(header(r, 'transfer-encoding'));
    const problem = jsonError(text);
    if (problem && !emptyStream && !(lines.length > 1 && lines.every((l) => !jsonError(l)))) {
      v.push({ property: 'bad-json', detail: `HTTP ${r.status} application/json that does not parse (${problem}): ${JSON.stringify(text.slice(0, 200))}` });
    }
  }
  return v;
}
