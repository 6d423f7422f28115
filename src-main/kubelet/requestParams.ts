import { queryBool, queryInt } from '../api/queryParams.js';
import { fieldErr, type FieldError } from '../api/validation/fieldErrors.js';
import { KubeletError } from './httpStatus.js';

// Reading a request to the kubelet's server: the request target, the container it names, and the
// log or exec/attach options in its query. Everything here runs on bytes any pod can send before
// the token is checked, so nothing may throw anything but a KubeletError (answered as a 4xx).

export interface ContainerRef {
  namespace: string;
  pod: string;
  container: string;
}

/** /<prefix>/<ns>/<pod>/<container> or /<prefix>/<ns>/<pod>/<uid>/<container> (kube's routes). */
export function containerRef(segments: string[], prefix: string): ContainerRef | undefined {
  if (segments[0] !== prefix) return undefined;
  if (segments.length === 4) return { namespace: segments[1]!, pod: segments[2]!, container: segments[3]! };
  if (segments.length === 5) return { namespace: segments[1]!, pod: segments[2]!, container: segments[4]! };
  return undefined;
}

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  limitBytes?: number;
  /** Unix seconds (with a fraction) from sinceSeconds or sinceTime. */
  since?: number;
}

// metav1.Time's UnmarshalQueryParameter: time.Parse(time.RFC3339, ...), which wants the "T", a
// "Z" or a numeric offset, and takes optional fractional seconds.
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/**
 * PodLogOptions from the query as kube's kubelet reads them (getContainerLogs): the parameter
 * codec's rules (a value that does not parse is a 400), the old `tail` spelling, then
 * ValidatePodLogOptions (a 422 naming the field, as kube-apiserver words it).
 */
export function logOptions(q: URLSearchParams, pod: string, now = Date.now()): LogOptions {
  const query = new URLSearchParams(q);
  const tail = query.get('tail');
  if (tail) {
    if (tail === 'all') query.delete('tailLines');
    else query.set('tailLines', tail);
  }
  const tailLines = queryInt(query, 'tailLines');
  const limitBytes = queryInt(query, 'limitBytes');
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  const rawSinceTime = query.get('sinceTime');
  // An empty value (or "null", from old clients) is the zero time: no filter.
  const sinceTimeText = rawSinceTime && rawSinceTime !== 'null' ? rawSinceTime : undefined;
  let sinceTime: number | undefined;
  if (sinceTimeText !== undefined) {
    sinceTime = RFC3339.test(sinceTimeText) ? Date.parse(sinceTimeText) : NaN;
    if (Number.isNaN(sinceTime)) throw new KubeletError(400, `parsing time ${JSON.stringify(sinceTimeText)} as "2006-01-02T15:04:05Z07:00": not an RFC 3339 time`);
  }
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(fieldErr.invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(fieldErr.invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errs.push(fieldErr.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push(fieldErr.invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errs.length) throw invalid('PodLogOptions', pod, errs);
  const since = sinceSeconds !== undefined ? now / 1000 - sinceSeconds : sinceTime !== undefined ? sinceTime / 1000 : undefined;
  return {
    follow: queryBool(query, 'follow'),
    previous: queryBool(query, 'previous'),
    timestamps: queryBool(query, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    // Not rounded to a whole second: kube cuts at the exact instant, and Docker's `since` takes
    // fractional seconds ("1700000000.25").
    ...(since !== undefined ? { since: Math.max(0, since) } : {}),
  };
}

/** errors.NewInvalid's Status: `<Kind> "<name>" is invalid: <field>: <message>`. */
function invalid(kind: string, name: string, errs: FieldError[]): KubeletError {
  const parts = errs.map((e) => `${e.field}: ${e.message}`);
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new KubeletError(422, `${kind} "${name}" is invalid: ${joined}`, { name, kind, causes: errs.map((e) => ({ reason: e.type, message: e.message, field: e.field })) });
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * Which streams an exec/attach wants. kube-apiserver decodes the client's PodExecOptions with the
 * parameter codec (`stdout=True`, `=1`, `=true` are all true) and calls the kubelet with its own
 * names set to "1" (input/output/error/tty), which kube's kubelet compares with "1"
 * (remotecommand.NewOptions). Flotilla's API server forwards the client's query unchanged, so
 * this kubelet reads both spellings with the codec's rule, a superset of "1". As in kube, a TTY
 * has no separate stderr, and asking for no stream at all is a 400.
 */
export function streamOptions(q: URLSearchParams): StreamOptions {
  const tty = queryBool(q, 'tty');
  const stdin = queryBool(q, 'stdin') || queryBool(q, 'input');
  const stdout = queryBool(q, 'stdout') || queryBool(q, 'output');
  const stderr = !tty && (queryBool(q, 'stderr') || queryBool(q, 'error'));
  if (!stdin && !stdout && !stderr) throw new KubeletError(400, 'you must specify at least 1 of stdin, stdout, stderr');
  return { stdin, stdout, stderr, tty };
}
