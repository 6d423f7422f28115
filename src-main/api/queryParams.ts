// Query parameters as kube-apiserver and the kubelet read them (apimachinery's parameter codec,
// k8s.io/apimachinery/pkg/runtime/conversion.go). Shared by the API server and the kubelet so both
// read `watch=True`, `follow=1` or `stdout=true` the same way.

export class QueryParamError extends Error {}

/**
 * Convert_Slice_string_To_bool: an absent parameter is false; "0" and "false" in any letter case
 * are false; every other value, the empty string included, is true. (Kubernetes does not use
 * strconv.ParseBool here, so `watch=True` and `watch=yes` both start a watch, and nothing is a 400.)
 */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
}

/** A *bool parameter (e.g. sendInitialEvents, force): undefined when absent, else as queryBool. */
export function queryOptionalBool(q: URLSearchParams, name: string): boolean | undefined {
  return q.get(name) === null ? undefined : queryBool(q, name);
}

/**
 * Convert_Slice_string_To_int64 / strconv.ParseInt(s, 10, 64): an optional decimal integer with an
 * optional sign; anything else is the client's mistake (QueryParamError, answered as 400).
 */
export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^[+-]?\d{1,19}$/.test(v)) throw new QueryParamError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new QueryParamError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}
