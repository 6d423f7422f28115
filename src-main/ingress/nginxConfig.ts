import { createHash } from 'node:crypto';
import { isRenderableHost } from './paths.js';
import { CATCH_ALL, type IngressModel, type Location, type Server } from './model.js';

// The model as nginx.conf text, with ingress-nginx's defaults where they matter to users: the
// X-Forwarded-* and X-Real-IP headers, WebSocket upgrade, unbuffered responses (streamed logs and
// server-sent events arrive as they are written), HTTP/1.1 keep-alive to the pods, a 1 MiB body
// limit, 308 redirects from HTTP to HTTPS for TLS hosts, and "default backend - 404" for hosts no
// rule names. Rendering is deterministic, so the controller can reload only when the text changes.
// Every value from an Ingress reaches this file already checked (paths by paths.ts, hosts by
// paths.ts too); anything else is left out rather than escaped.

export interface RenderSettings {
  /** Where the controller keeps its files (certificates, temp paths, pid). */
  dir: string;
  /** Ports nginx listens on inside the pod. */
  httpPort: number;
  httpsPort: number;
  /** The HTTPS port the user's browser sees (443 needs no port in the redirect). */
  publicHttpsPort: number;
  /** The port X-Forwarded-Port names for HTTP requests. */
  publicHttpPort: number;
  /**
   * Certificate files by id (the model's Server.certificate), or the default one for undefined;
   * undefined when there is none (the host is then served on HTTP only).
   */
  certificateFile(id: string | undefined): { cert: string; key: string } | undefined;
  workerProcesses?: number | 'auto';
  /** A loopback-only port on which nginx answers CONFIG_HASH_PATH with its configuration's hash. */
  statusPort?: number;
}


/** A value nginx reads as one token: double-quoted, with only the characters paths.ts lets through. */
function quote(s: string): string {
  // Printable ASCII without quotes or backslashes: nothing inside can end the token early.
  if (!/^[\x21-\x7e]+$/.test(s) || /["\\]/.test(s)) throw new Error(`refusing to render ${JSON.stringify(s)}`);
  return `"${s}"`;
}

/** server_name: an exact host, or a regex for a wildcard (Kubernetes' `*.` is exactly one label). */
function serverName(host: string): string | undefined {
  if (host === CATCH_ALL) return '_';
  if (!isRenderableHost(host)) return undefined;
  if (!host.startsWith('*.')) return host;
  return `"~^[^.]+${host.slice(1).replace(/\./g, '\\.')}$"`;
}

function locationBlock(l: Location, s: RenderSettings): string[] {
  const out = [`    location ${l.modifier ? `${l.modifier} ` : ''}${quote(l.path)} {`];
  if (l.sslRedirect) {
    const port = s.publicHttpsPort === 443 ? '' : `:${s.publicHttpsPort}`;
    out.push(`      if ($scheme = http) { return 308 https://$host${port}$request_uri; }`);
  }
  if (l.upstream) {
    out.push(`      set $proxy_upstream_name ${l.upstream};`, `      proxy_pass http://${l.upstream};`);
  } else {
    out.push('      set $proxy_upstream_name upstream-default-backend;', `      return ${l.status ?? 503};`);
  }
  out.push('    }');
  return out;
}

function serverBlock(srv: Server, s: RenderSettings): string[] {
  const name = serverName(srv.host);
  if (!name) return [];
  const def = srv.host === CATCH_ALL ? ' default_server' : '';
  const cert = s.certificateFile(srv.certificate);
  const out = [
    '  server {',
    `    server_name ${name};`,
    // No reuseport: with one socket per worker, a reload leaves connections queued on the old
    // workers' sockets to be served by the old configuration (or reset when those close).
    `    listen ${s.httpPort}${def}${def ? ' backlog=4096' : ''};`,
  ];
  if (cert) {
    out.push(`    listen ${s.httpsPort} ssl${def}${def ? ' backlog=4096' : ''};`, `    ssl_certificate ${quote(cert.cert)};`, `    ssl_certificate_key ${quote(cert.key)};`);
  }
  for (const l of srv.locations) out.push(...locationBlock(l, s));
  if (!srv.locations.some((l) => l.modifier === '' && l.path === '/')) {
    out.push('    location / {', '      set $proxy_upstream_name upstream-default-backend;', '      return 404 "default backend - 404\\n";', '    }');
  }
  out.push('  }');
  return out;
}

export function renderNginxConfig(model: IngressModel, s: RenderSettings): string {
  const d = s.dir;
  const lines = [
    '# Rendered by the flotilla ingress controller from the cluster\'s Ingresses: edits are overwritten.',
    // Workers drop root (Debian's www-data); nginx's default, nobody:nobody, has no group on Debian.
    'user www-data www-data;',
    `worker_processes ${s.workerProcesses ?? 'auto'};`,
    `pid ${quote(`${d}/nginx.pid`)};`,
    'error_log stderr notice;',
    'events {',
    '  worker_connections 16384;',
    '  multi_accept on;',
    '}',
    'http {',
    `  client_body_temp_path ${quote(`${d}/client-body`)};`,
    `  proxy_temp_path ${quote(`${d}/proxy`)};`,
    `  fastcgi_temp_path ${quote(`${d}/fastcgi`)};`,
    `  uwsgi_temp_path ${quote(`${d}/uwsgi`)};`,
    `  scgi_temp_path ${quote(`${d}/scgi`)};`,
    '  default_type text/plain;',
    '  server_tokens off;',
    // A bucket holds one name of MAX_HOST_LENGTH (paths.ts) (nginx: align(8 + 253 + 2, 8) + 8 = 272 bytes);
    // with 128, a long but valid host made nginx refuse the whole configuration.
    '  server_names_hash_bucket_size 512;',
    '  server_names_hash_max_size 4096;',
    '  variables_hash_bucket_size 256;',
    '  client_max_body_size 1m;',
    '  keepalive_timeout 75s;',
    '  keepalive_requests 1000;',
    '  log_format upstreaminfo \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $request_id\';',
    '  access_log /dev/stdout upstreaminfo buffer=64k flush=1s;',
    '  map $http_upgrade $connection_upgrade {',
    '    default upgrade;',
    "    '' '';",
    '  }',
    '  map $http_host $best_http_host {',
    '    default $http_host;',
    "    '' $host;",
    '  }',
    '  map $scheme $public_port {',
    `    default ${s.publicHttpPort};`,
    `    https ${s.publicHttpsPort};`,
    '  }',
    '  proxy_http_version 1.1;',
    '  proxy_set_header Host $best_http_host;',
    '  proxy_set_header Upgrade $http_upgrade;',
    '  proxy_set_header Connection $connection_upgrade;',
    '  proxy_set_header X-Request-ID $request_id;',
    '  proxy_set_header X-Real-IP $remote_addr;',
    '  proxy_set_header X-Forwarded-For $remote_addr;',
    '  proxy_set_header X-Forwarded-Host $best_http_host;',
    '  proxy_set_header X-Forwarded-Port $public_port;',
    '  proxy_set_header X-Forwarded-Proto $scheme;',
    '  proxy_set_header X-Forwarded-Scheme $scheme;',
    '  proxy_set_header X-Scheme $scheme;',
    '  proxy_set_header Proxy "";',
    '  proxy_connect_timeout 5s;',
    '  proxy_send_timeout 60s;',
    '  proxy_read_timeout 60s;',
    '  proxy_buffering off;',
    '  proxy_next_upstream error timeout;',
    '  proxy_next_upstream_tries 3;',
    '  ssl_protocols TLSv1.2 TLSv1.3;',
    '  ssl_session_cache shared:SSL:10m;',
    '  ssl_session_timeout 10m;',
  ];
  for (const u of model.upstreams) {
    lines.push(`  upstream ${u.name} {`);
    for (const srv of u.servers) lines.push(`    server ${srv} max_fails=0;`);
    lines.push('    keepalive 320;', '    keepalive_requests 10000;', '    keepalive_timeout 60s;', '  }');
  }
  for (const srv of model.servers) lines.push(...serverBlock(srv, s));
  if (s.statusPort) {
    // The configuration's own hash, served on the pod's loopback: once a new connection gets the
    // new hash, nginx has finished the reload (a SIGHUP only starts it).
    const hash = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
    lines.push('  server {', `    listen 127.0.0.1:${s.statusPort};`, '    access_log off;', `    location = ${CONFIG_HASH_PATH} { return 200 "${hash}"; }`, '    location / { return 404; }', '  }');
  }
  lines.push('}', '');
  return lines.join('\n');
}

export const CONFIG_HASH_PATH = '/flotilla-config-hash';

/** The hash a configuration's status server answers with (see statusPort). */
export function configHashOf(text: string): string | undefined {
  return new RegExp(`location = ${CONFIG_HASH_PATH} \\{ return 200 "([0-9a-f]{16})"; \\}`).exec(text)?.[1];
}
