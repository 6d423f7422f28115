import { QueryParamError } from './queryParams.js';

// The request target (the path and query of the request line) read as Go's net/http and
// kube-apiserver's RequestInfoFactory read it, for the API server and the kubelet alike: the path is percent-decoded as a whole, then split
// on "/". Dot segments are NOT resolved (WHATWG `new URL()` would turn
// `/api/v1/namespaces/x/configmaps/..` into `/api/v1/namespaces/x` and act on the namespace); a
// name of "." or ".." is refused later like any other invalid name. Malformed targets (a bad
// escape, anything that is not origin- or absolute-form) are the client's mistake: a
// RequestTargetError, answered as a 400.

export class RequestTargetError extends QueryParamError {}

export interface RequestTarget {
  /** Decoded path without trailing slashes ("/" for the root). */
  path: string;
  /** Decoded path segments, split as kube splits them (leading and trailing "/" trimmed first). */
  segments: string[];
  query: URLSearchParams;
}

function decodePath(raw: string): string {
  // Go's url.PathUnescape: "%" must be followed by two hex digits; decoding happens byte-wise
  // and the result need not be UTF-8 (decodeURIComponent would throw on that: keep the bytes).
  if (!raw.includes('%')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new RequestTargetError(`invalid URL escape ${JSON.stringify(raw.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(raw[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseRequestTarget(rawTarget: string | undefined): RequestTarget {
  let raw = rawTarget ?? '/';
  // Absolute form (`GET https://host/api HTTP/1.1`) is legal HTTP; keep only its path and query.
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/.exec(raw);
  if (abs) raw = raw.slice(abs[0].length) || '/';
  if (!raw.startsWith('/')) throw new RequestTargetError(`invalid request URI ${JSON.stringify(raw.slice(0, 100))}`);
  const hash = raw.indexOf('#');
  if (hash >= 0) raw = raw.slice(0, hash);
  const qi = raw.indexOf('?');
  const rawPath = qi >= 0 ? raw.slice(0, qi) : raw;
  // URLSearchParams never throws: like Go's req.URL.Query(), malformed pairs are kept or dropped, not fatal.
  const query = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const decoded = decodePath(rawPath);
  const trimmed = decoded.replace(/^\/+|\/+$/g, '');
  return { path: `/${trimmed}`, segments: trimmed ? trimmed.split('/') : [], query };
}
