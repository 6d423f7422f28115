import fc from 'fast-check';
import type { RawRequest } from './rawHttp.js';

// What every fuzz case is, and the small arbitraries the case generators share: who is asking,
// what they accept and send, and query parameters (valid names with garbage values).

export interface FuzzCase {
  category: 'object' | 'path' | 'raw';
  /** What was done to the request, in words (mutations, hostile parts). */
  notes: string[];
  request: RawRequest;
  /** A readable form of the body for reproductions (bodies can be megabytes). */
  bodyDesc?: string;
  /** Why Kubernetes would persist nothing for this request (a dry run, a verb it does not serve); else undefined. */
  noWrite?: string;
  /** A 503 is fine: a pod subresource that needs a kubelet, and the test cluster has none. */
  allow503: boolean;
  /** Kubernetes would let this request change objects made before fuzzing (see sentinelScope.ts). */
  mayWriteSentinels: boolean;
  /** The body has a value of the wrong JSON type (what): Kubernetes' typed decoding refuses it. */
  wrongType?: string[];
  /** A valid create sent first, so that updates, patches and deletes find an object. */
  setup?: RawRequest;
}

export interface Tokens {
  admin: string;
  node: string;
}

/** A value one time in `oneIn`, else null (fc.option's freq is the other way round). */
export function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });
}

/** Authorization headers: mostly the admin's, sometimes none, a bad one or a node's. */
export function authArb(t: Tokens, adminWeight = 12): fc.Arbitrary<[string, string][]> {
  return fc.oneof(
    { arbitrary: fc.constant<[string, string][]>([['Authorization', `Bearer ${t.admin}`]]), weight: adminWeight },
    { arbitrary: fc.constant<[string, string][]>([]), weight: 1 },
    { arbitrary: fc.constant<[string, string][]>([['Authorization', 'Bearer not-a-token']]), weight: 1 },
    { arbitrary: fc.constant<[string, string][]>([['Authorization', `Bearer ${t.node}`]]), weight: 1 },
    { arbitrary: fc.constantFrom<[string, string][]>([['Authorization', 'Basic YWRtaW46YWRtaW4=']], [['Authorization', 'Bearer']], [['Authorization', `bearer  ${t.admin} extra`]]), weight: 1 },
  );
}

export const ACCEPTS = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;v=v1;g=meta.k8s.io, application/json',
  'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  'application/json;stream=watch',
  'application/vnd.kubernetes.protobuf;stream=watch',
  'application/apply-patch+yaml',
  'text/html',
  '*/*',
  'garbage;;;=',
  '',
];

export const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
  '',
  'application/json; charset=utf-16',
  'application/json;charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  '*/*',
  'application/json, application/yaml',
];

/** Query parameters Kubernetes reads, with values of every kind of wrong. */
const PARAM_VALUES: Record<string, string[]> = {
  watch: ['true', '1', 'True', 'TRUE', 't', 'yes', 'false', '0', '', 'x', '%zz'],
  limit: ['1', '0', '-1', '500', '99999999999999999999', 'abc', '1.5', ''],
  continue: ['', 'garbage', 'eyJydiI6MX0', '%zz', 'x'.repeat(5000)],
  labelSelector: ['app=fz-0', 'app in (a,b)', '!app', 'app', 'a=b,c!=d', '=', 'app in (', 'a==b', '%zz', '(((', 'x'.repeat(300), 'a.b/c=d', 'app notin ()'],
  fieldSelector: ['metadata.name=fz-0', 'metadata.namespace!=x', 'spec.nodeName=', 'status.phase=Running', 'foo=bar', '=', 'metadata.name', 'a=b=c', '%zz'],
  resourceVersion: ['0', '1', '', '-1', 'abc', '99999999999', '1e9', '18446744073709551616'],
  resourceVersionMatch: ['NotOlderThan', 'Exact', 'bogus', ''],
  timeoutSeconds: ['1', '0', '-1', 'abc', '1e9', '99999999999999', '1.5', ''],
  allowWatchBookmarks: ['true', 'false', 'x'],
  sendInitialEvents: ['true', 'false', 'x'],
  dryRun: ['All', 'all', '', 'None', 'true'],
  fieldManager: ['fuzz', '', 'x'.repeat(200), '😀', 'a/b'],
  fieldValidation: ['Strict', 'Warn', 'Ignore', 'strict', 'bogus', ''],
  force: ['true', 'false', 'x'],
  gracePeriodSeconds: ['0', '30', '-1', '1.5', 'abc', '99999999999999999999', ''],
  propagationPolicy: ['Orphan', 'Background', 'Foreground', 'bogus', ''],
  orphanDependents: ['true', 'false', 'x'],
  pretty: ['true', 'false', 'x'],
  includeObject: ['Object', 'None', 'Metadata', 'bogus'],
  container: ['c', '', 'nope', '..'],
  follow: ['true', 'false', 'x'],
  previous: ['true', 'x'],
  tailLines: ['10', '-1', 'x', '99999999999999999999'],
  limitBytes: ['1', '0', '-5', 'x'],
  sinceSeconds: ['1', '0', '-1', 'x'],
  sinceTime: ['2024-01-01T00:00:00Z', 'yesterday', ''],
  timestamps: ['true', 'x'],
  command: ['ls', '', 'x'.repeat(1000)],
  stdin: ['true', '1', 'x'],
  stdout: ['true', 'True', '0'],
  stderr: ['true', 'f'],
  tty: ['true', 'x'],
  ports: ['80', 'x', '-1', '99999'],
  timeout: ['1s', '-1s', 'x', '999999h'],
};

export const PARAM_NAMES = Object.keys(PARAM_VALUES);

/** One `name=value` pair, the value either URL-encoded or written raw (bad escapes and all). */
export const queryParam: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(...PARAM_NAMES).chain((k) =>
      fc.tuple(fc.constant(k), fc.oneof({ arbitrary: fc.constantFrom(...PARAM_VALUES[k]!), weight: 4 }, { arbitrary: fc.string({ maxLength: 10 }), weight: 1 }), fc.boolean()).map(([name, v, raw]) => `${name}=${raw ? v : encodeURIComponent(v)}`),
    ),
    weight: 8,
  },
  { arbitrary: fc.constantFrom('%', '%zz', '=', '&', '==x', 'a=%E0%A4%A', 'watch', 'watch=1&watch=0', 'x=%ED%A0%80', '%00=%00', '__proto__=1', 'limit=1&limit=2'), weight: 2 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), weight: 1 },
);

/** The dryRun query parameter(s) of a write: absent, valid, or values Kubernetes refuses. */
export const dryRunArb: fc.Arbitrary<string[]> = fc.oneof(
  { arbitrary: fc.constant<string[]>([]), weight: 4 },
  { arbitrary: fc.constant<string[]>(['All']), weight: 4 },
  { arbitrary: fc.constantFrom<string[]>(['all'], ['None'], ['All', 'All'], ['All', 'bogus'], ['bogus', 'All'], ['']), weight: 2 },
);

/**
 * Whether Kubernetes would persist nothing, from the dryRun query values: `All` is a dry run, any
 * other non-empty value is refused (400/422) before anything is stored. An empty value alone is
 * left undecided (false).
 */
export function dryRunMeansNoWrite(values: string[]): boolean {
  return values.some((v) => v !== '');
}

/** A target written as-is on the request line is malformed for the HTTP parser if it has these. */
export function hasNonTokenBytes(target: string): boolean {
  return /[^\x21-\x7e]/.test(target);
}
