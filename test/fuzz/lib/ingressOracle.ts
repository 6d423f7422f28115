import { isIP } from 'node:net';
import type { Ingress } from '../../../src-main/api/types.js';
import { CATCH_ALL, type IngressModel } from '../../../src-main/ingress/model.js';

// What the ingress controller may produce from hostile objects, written independently of the
// renderer: every line of nginx.conf has one of the shapes the renderer emits (so nothing a user
// wrote can add a directive or a block), blocks nest as nginx expects and balance, values that
// nginx reads as tokens stay within its limits, and every location the model keeps comes from a
// path of the Ingress it names (nothing invented), while every path that could be served is.

/** RFC 3986 path characters: what a location path may contain. */
const PATH_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@%/";
const SAFE_PATH = new RegExp(`^/[${PATH_CHARS}]*$`);
/** nginx reads each configuration token into a 4 KiB buffer ("too long parameter" when one fills it). */
const TOKEN_BUFFER = 4096;

type Block = 'main' | 'events' | 'http' | 'map' | 'upstream' | 'server' | 'location';

/** A line's shape: the block it must be in, and the block it opens (if any). */
interface Shape {
  re: RegExp;
  in: Block;
  opens?: Block;
}

const SHAPES: Shape[] = [
  { re: /^ {2}upstream [A-Za-z0-9_-]+ \{$/, in: 'http', opens: 'upstream' },
  { re: /^ {4}server (\S+) max_fails=0;$/, in: 'upstream' },
  { re: /^ {4}keepalive\w* \w+;$/, in: 'upstream' },
  { re: /^ {2}server \{$/, in: 'http', opens: 'server' },
  { re: /^ {4}server_name (_|[a-z0-9][a-z0-9.-]*|"~\^\[\^\.\]\+(\\\.[a-z0-9-]+)+\$");$/, in: 'server' },
  { re: /^ {4}listen (127\.0\.0\.1:)?\d+( ssl)?( default_server)?( backlog=\d+)?( reuseport)?;$/, in: 'server' },
  { re: /^ {4}ssl_certificate(_key)? "[^"\\\s]+";$/, in: 'server' },
  { re: new RegExp(`^    location (= )?"/[${PATH_CHARS}]*" \\{$`), in: 'server', opens: 'location' },
  { re: /^ {4}location \/ \{$/, in: 'server', opens: 'location' },
  { re: /^ {4}access_log off;$/, in: 'server' },
  { re: /^ {4}location = \/flotilla-config-hash \{ return 200 "[0-9a-f]{16}"; \}$/, in: 'server' },
  { re: /^ {4}location \/ \{ return 404; \}$/, in: 'server' },
  { re: /^ {6}if \(\$scheme = http\) \{ return 308 https:\/\/\$host(:\d+)?\$request_uri; \}$/, in: 'location' },
  { re: /^ {6}set \$proxy_upstream_name [A-Za-z0-9_-]+;$/, in: 'location' },
  { re: /^ {6}proxy_pass http:\/\/[A-Za-z0-9_-]+;$/, in: 'location' },
  { re: /^ {6}return [1-5]\d\d;$/, in: 'location' },
  { re: /^ {6}return 404 "default backend - 404\\n";$/, in: 'location' },
];

/** Braces outside quoted strings: what nginx counts. */
const braces = (line: string) => line.replace(/"[^"]*"|'[^']*'/g, '').replace(/[^{}]/g, '');

function upstreamAddressOk(a: string): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(a);
  if (!m) return false;
  const ip = m[1] ?? m[2]!;
  const port = Number(m[3]);
  return isIP(ip) === (m[1] ? 6 : 4) && !ip.includes('%') && port >= 1 && port <= 65535;
}

/**
 * The problems of a rendered configuration. `fixed` are the lines of the configuration of an
 * empty model with the same settings: the preamble no cluster object influences.
 */
export function checkRendered(text: string, fixed: Set<string>): string[] {
  const problems: string[] = [];
  const stack: Block[] = ['main'];
  const upstreams = new Map<string, number>();
  const proxied = new Set<string>();
  const serverNames = new Set<string>();
  const defaults = new Map<string, number>();
  let locations = new Set<string>();
  let currentUpstream = '';
  text.split('\n').forEach((line, i) => {
    const at = `line ${i + 1} ${JSON.stringify(line.slice(0, 200))}`;
    const longest = Math.max(...line.trim().split(/\s+/).map((t) => t.length));
    if (longest >= TOKEN_BUFFER) problems.push(`${at}: a token of ${longest} characters, more than nginx reads as one`);
    const top = stack[stack.length - 1]!;
    if (/^ *\}$/.test(line)) {
      if (stack.length === 1) problems.push(`${at}: closes a block that is not open`);
      else stack.pop();
      return;
    }
    const shape = SHAPES.find((s) => s.re.test(line));
    if (shape) {
      if (shape.in !== top) problems.push(`${at}: belongs in a ${shape.in} block, found in ${top}`);
      if (shape.opens) stack.push(shape.opens);
    } else if (fixed.has(line)) {
      const b = braces(line);
      if (b === '{') stack.push(/^events/.test(line.trim()) ? 'events' : /^http/.test(line.trim()) ? 'http' : /^map/.test(line.trim()) ? 'map' : 'server');
      return;
    } else {
      problems.push(`${at}: not a line the renderer emits`);
      return;
    }
    if (braces(line).replace(/\{\}/g, '') !== (shape.opens ? '{' : '')) problems.push(`${at}: unbalanced braces`);
    const up = /^ {2}upstream (\S+) \{$/.exec(line);
    if (up) {
      if (upstreams.has(up[1]!)) problems.push(`${at}: upstream ${up[1]} defined twice`);
      upstreams.set((currentUpstream = up[1]!), 0);
    }
    const srv = /^ {4}server (\S+) max_fails=0;$/.exec(line);
    if (srv) {
      upstreams.set(currentUpstream, (upstreams.get(currentUpstream) ?? 0) + 1);
      if (!upstreamAddressOk(srv[1]!)) problems.push(`${at}: not an ip:port nginx accepts`);
    }
    if (line === '  server {') locations = new Set();
    const name = /^ {4}server_name (\S+);$/.exec(line);
    if (name) {
      if (serverNames.has(name[1]!)) problems.push(`${at}: server_name ${name[1]} twice`);
      serverNames.add(name[1]!);
    }
    const def = /^ {4}listen (\d+)( ssl)? default_server/.exec(line);
    if (def) defaults.set(def[1]!, (defaults.get(def[1]!) ?? 0) + 1);
    const loc = /^ {4}location (= )?("[^"]*"|\/) \{/.exec(line);
    if (loc && !line.includes('flotilla-config-hash') && !line.endsWith('return 404; }')) {
      const key = `${loc[1] ?? ''}${loc[2]!.replace(/^"|"$/g, '')}`;
      if (locations.has(key)) problems.push(`${at}: location ${key} twice in one server`);
      locations.add(key);
    }
    const pass = /proxy_pass http:\/\/(\S+);$/.exec(line);
    if (pass) proxied.add(pass[1]!);
  });
  if (stack.length !== 1) problems.push(`blocks left open at the end: ${stack.slice(1).join(' ')}`);
  for (const u of proxied) if (!upstreams.get(u)) problems.push(`proxy_pass to ${u}, which has no upstream block with a server`);
  for (const [port, n] of defaults) if (n > 1) problems.push(`${n} default servers on port ${port}`);
  return problems;
}

/** The nginx locations an Ingress path can become (the meaning of its pathType), if servable. */
export function expectedLocations(pathType: unknown, rawPath: unknown, maxPathLength: number): string[] | undefined {
  const p = typeof rawPath === 'string' && rawPath ? rawPath : '/';
  if (!SAFE_PATH.test(p) || p.length > maxPathLength) return undefined;
  if (pathType === 'Exact') return [`=${p}`];
  if (pathType === 'ImplementationSpecific') return [p];
  if (pathType !== 'Prefix') return undefined;
  const trimmed = p.replace(/\/+$/, '');
  return trimmed ? [`=${trimmed}`, `${trimmed}/`] : ['/'];
}

const keyOf = (ing: Ingress) => `${ing.metadata.namespace}/${ing.metadata.name}`;
const hostOf = (h: unknown) => (typeof h === 'string' && h ? h : CATCH_ALL);

/** The hosts the controller can serve: the catch-all, or a lowercase DNS name (optionally `*.`) of at most 253 characters. */
function servableHost(host: string): boolean {
  if (host === CATCH_ALL) return true;
  const labels = (host.startsWith('*.') ? host.slice(2) : host).split('.');
  return host.length <= 253 && labels.every((l) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(l));
}

/** The problems of a model built from `ingresses`: invented locations, and servable paths left out. */
export function checkModel(ingresses: Ingress[], model: IngressModel, maxPathLength: number): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Ingress[]>();
  for (const ing of ingresses) byKey.set(keyOf(ing), [...(byKey.get(keyOf(ing)) ?? []), ing]);
  const hosts = new Set([CATCH_ALL, ...ingresses.flatMap((i) => (i.spec?.rules ?? []).map((r) => hostOf(r.host)))]);
  for (const s of model.servers) {
    if (!hosts.has(s.host)) problems.push(`server ${JSON.stringify(s.host)} is no Ingress's host`);
    for (const l of s.locations) {
      const key = `${l.modifier}${l.path}`;
      const from = byKey.get(l.ingress) ?? [];
      const fromRule = from.some((ing) =>
        (ing.spec?.rules ?? []).some((r) => hostOf(r.host) === s.host && (r.http?.paths ?? []).some((p) => expectedLocations(p.pathType, p.path, maxPathLength)?.includes(key))),
      );
      const fromDefault = key === '/' && from.some((ing) => ing.spec?.defaultBackend);
      if (!fromRule && !fromDefault) problems.push(`location ${JSON.stringify(key)} of ${JSON.stringify(s.host)} comes from no path of ${JSON.stringify(l.ingress)}`);
      if (!SAFE_PATH.test(l.path) || l.path.length > maxPathLength + 1) problems.push(`location ${JSON.stringify(key)} is not a servable path`);
    }
  }
  for (const ing of ingresses) {
    for (const r of ing.spec?.rules ?? []) {
      const server = model.servers.find((s) => s.host === hostOf(r.host));
      // A host nginx could not take as it is (not a lowercase DNS name of at most 253
      // characters) is left out, with an InvalidHost problem instead.
      if (!servableHost(hostOf(r.host))) {
        if (server) problems.push(`host ${JSON.stringify(r.host)} of ${keyOf(ing)} is not servable but has a server`);
        if (!model.problems.some((p) => p.ingress === keyOf(ing) && p.reason === 'InvalidHost')) problems.push(`host ${JSON.stringify(r.host)} of ${keyOf(ing)} left out without an InvalidHost problem`);
        continue;
      }
      if (!server) {
        problems.push(`host ${JSON.stringify(r.host)} of ${keyOf(ing)} has no server`);
        continue;
      }
      const have = new Set(server.locations.map((l) => `${l.modifier}${l.path}`));
      for (const p of r.http?.paths ?? []) {
        for (const k of expectedLocations(p.pathType, p.path, maxPathLength) ?? []) if (!have.has(k)) problems.push(`servable path ${JSON.stringify(p.path)} (${p.pathType}) of ${keyOf(ing)} has no location ${JSON.stringify(k)}`);
      }
    }
  }
  for (const u of model.upstreams) for (const a of u.servers) if (!upstreamAddressOk(a)) problems.push(`upstream ${u.name} has server ${JSON.stringify(a)}`);
  return problems;
}
