// What an Ingress rule may match, checked before it reaches nginx (hosts, paths), and a path as
// nginx locations, with the Kubernetes meaning of each pathType
// (networking/v1 HTTPIngressPath) that ingress-nginx gives it:
//   Exact                   the path exactly:                         location = /foo
//   Prefix                  element-wise prefix, trailing slash ignored: /foo matches /foo and
//                           /foo/bar but not /foobar, so:             location = /foo + location /foo/
//                           (and "/" alone is every path:             location /)
//   ImplementationSpecific  nginx's own prefix match:                 location /foo
// nginx picks an exact location first, then the longest prefix: the precedence Kubernetes asks
// for (Exact over Prefix, longer over shorter).

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface NginxLocation {
  /** `=` for exact, '' for a prefix. */
  modifier: '=' | '';
  path: string;
  /** Which rule a collision keeps: lower wins (an Exact path over the exact half of a Prefix). */
  priority: number;
}

/**
 * The characters a path may have to be rendered (RFC 3986 pchar and "/"); anything else
 * (quotes, backslashes, spaces, braces, control or non-ASCII characters) is refused instead of
 * escaped, so no Ingress can change the shape of the nginx configuration.
 */
const SAFE_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
/**
 * nginx reads each token of its configuration into a 4 KiB buffer and refuses the whole file
 * ("too long parameter") for a longer one: a longer path is refused instead (Prefix adds a "/").
 */
export const MAX_PATH_LENGTH = 4000;

/** A lowercase DNS name, optionally `*.`-prefixed: what server_name can take as it is. */
const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A DNS name's limit, as the API server's; server_names_hash_bucket_size holds one this long. */
export const MAX_HOST_LENGTH = 253;

export function isRenderableHost(host: string): boolean {
  return host.length <= MAX_HOST_LENGTH && HOST.test(host);
}

export function isRenderablePath(path: string): boolean {
  return path.length <= MAX_PATH_LENGTH && SAFE_PATH.test(path);
}

/** The locations of one Ingress path, or undefined when it cannot be rendered safely. */
export function locationsFor(pathType: PathType, rawPath: string | undefined): NginxLocation[] | undefined {
  const path = rawPath || '/';
  if (!isRenderablePath(path)) return undefined;
  switch (pathType) {
    case 'Exact':
      return [{ modifier: '=', path, priority: 0 }];
    case 'Prefix': {
      const trimmed = path.replace(/\/+$/, '');
      if (!trimmed) return [{ modifier: '', path: '/', priority: 1 }];
      return [
        { modifier: '=', path: trimmed, priority: 1 },
        { modifier: '', path: `${trimmed}/`, priority: 1 },
      ];
    }
    case 'ImplementationSpecific':
      return [{ modifier: '', path, priority: 2 }];
    default:
      return undefined;
  }
}

export function locationKey(l: NginxLocation): string {
  return `${l.modifier}${l.path}`;
}
