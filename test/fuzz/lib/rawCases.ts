import fc from 'fast-check';
import type { FuzzCase } from './common.js';
import { KEEP_NS } from './pathCases.js';
import { mayWriteSentinels } from './sentinelScope.js';

// Requests written byte for byte on a socket: request lines and headers that fetch/undici and
// node:http refuse to send (bad targets, bad versions, NULs, duplicate or conflicting lengths,
// folded or oversized headers, truncated chunked bodies), and WebSocket upgrades to hostile targets.
// Used against the API server (TLS) and the kubelet's server (plain HTTP in tests).

const API_LINES = [
  'GET //[ HTTP/1.1',
  'GET %zz HTTP/1.1',
  'GET /api/v1/namespaces/%ZZ/pods HTTP/1.1',
  'GET /api/v1/namespaces/fuzz/configmaps/%E0%A4%A HTTP/1.1',
  'GET /api/v1/namespaces/fuzz/configmaps/%ED%A0%80 HTTP/1.1',
  'GET * HTTP/1.1',
  'OPTIONS * HTTP/1.1',
  'GET http://x/api HTTP/1.1',
  'GET https://[::1/ HTTP/1.1',
  'GET http://[ HTTP/1.1',
  'GET /api HTTP/1.0',
  'GET /api HTTP/2.0',
  'GET /api HTTP/9.9',
  'GET /api',
  'GET  /api  HTTP/1.1',
  'GET /a\tb HTTP/1.1',
  'G\u0000ET / HTTP/1.1',
  'GET /\u007f HTTP/1.1',
  'GET /\u00e9 HTTP/1.1',
  'GET ?watch=1 HTTP/1.1',
  'GET api/v1 HTTP/1.1',
  'get /api HTTP/1.1',
  'CONNECT 127.0.0.1:22 HTTP/1.1',
  'CONNECT //[ HTTP/1.1',
  'GET /api/v1/namespaces/fuzz/configmaps/.. HTTP/1.1',
  `DELETE /api/v1/namespaces/${KEEP_NS}/configmaps/.. HTTP/1.1`,
  `DELETE /api/v1/namespaces/${KEEP_NS}/configmaps/%2e%2e HTTP/1.1`,
  `DELETE /api/v1/namespaces/${KEEP_NS}/configmaps/keep-cm/.. HTTP/1.1`,
  `DELETE /api/v1/namespaces/fuzz/../${KEEP_NS} HTTP/1.1`,
  `PUT /api/v1/namespaces/${KEEP_NS}/configmaps/keep-cm/%2e%2e/../keep-cm HTTP/1.1`,
  `GET /api/v1/namespaces/${KEEP_NS}/secrets/../../../namespaces HTTP/1.1`,
  'GET //api//v1//namespaces HTTP/1.1',
  'GET /api/v1/namespaces/fuzz/pods/fz-0/exec?command=ls&stdout=1 HTTP/1.1',
  'GET /api/v1/namespaces/fuzz/pods/%/exec HTTP/1.1',
  'GET /x?%=%&&== HTTP/1.1',
  'GET /api/v1/pods?watch=1&timeoutSeconds=1 HTTP/1.1',
  'GET /api/v1/pods?watch=True&timeoutSeconds=abc HTTP/1.1',
  'HEAD //[ HTTP/1.1',
  'HEAD /api/v1/namespaces/%zz HTTP/1.1',
  'TRACE / HTTP/1.1',
  'POST /api/v1/namespaces/fuzz/configmaps HTTP/1.1',
];

const KUBELET_LINES = [
  'GET //[ HTTP/1.1',
  'GET %zz HTTP/1.1',
  'GET * HTTP/1.1',
  'GET http://[ HTTP/1.1',
  'GET /healthz HTTP/2.0',
  'GET /healthz?x=% HTTP/1.1',
  'GET /containerLogs/%zz/a/b HTTP/1.1',
  'GET /containerLogs/a/b/% HTTP/1.1',
  'GET /containerLogs/a/%ED%A0%80/c HTTP/1.1',
  'GET /containerLogs/default/x/y?follow=true&tailLines=x&limitBytes=-1&sinceSeconds=abc&sinceTime=garbage HTTP/1.1',
  'GET /containerLogs/../../etc/passwd HTTP/1.1',
  'GET /containerLogs/a/b/c/d/e/f HTTP/1.1',
  'GET /exec/fuzz/fz-0/c?command=ls HTTP/1.1',
  'POST /exec/%/a/b?command=ls HTTP/1.1',
  'GET /attach/a/b/c?stdin=True HTTP/1.1',
  'POST /portForward/fuzz/fz-0 HTTP/1.1',
  'GET /portForward/%zz/a HTTP/1.1',
  'POST /portForward/a/b/c/d/e HTTP/1.1',
  'GET /run/a/b/c HTTP/1.1',
  'GET /stats/summary HTTP/1.1',
  'HEAD //[ HTTP/1.1',
  'CONNECT //[ HTTP/1.1',
  'G\u0000ET / HTTP/1.1',
  'get / HTTP/1.1',
  'GET  /healthz  HTTP/1.1',
  'GET /tunnel/30000 HTTP/1.1',
  'GET /tunnel/%zz HTTP/1.1',
  'GET /tunnel HTTP/1.1',
  'POST /tunnel/31000 HTTP/1.1',
];

/**
 * Header sets; `waits`: the request declares a body the server may wait for, so our side is
 * closed after writing (except over the limit, where Kubernetes answers 413 without the body).
 */
const HEADER_SETS: { name: string; lines: string[]; waits?: boolean }[] = [
  { name: 'none', lines: [] },
  { name: 'empty Host', lines: ['Host: '] },
  { name: 'two Hosts', lines: ['Host: a', 'Host: b'] },
  { name: 'conflicting Content-Length', lines: ['Content-Length: 2', 'Content-Length: 3'], waits: true },
  { name: 'Content-Length and chunked', lines: ['Content-Length: 2', 'Transfer-Encoding: chunked'], waits: true },
  { name: 'Transfer-Encoding gzip', lines: ['Transfer-Encoding: gzip'], waits: true },
  { name: 'Transfer-Encoding chunked, identity', lines: ['Transfer-Encoding: chunked, identity'], waits: true },
  { name: 'header without colon', lines: ['BadHeader'] },
  { name: 'header name with a space', lines: ['Bad Name: x'] },
  { name: 'folded header', lines: ['X-A: b', ' folded'] },
  { name: '20 KB header', lines: [`X-Long: ${'x'.repeat(20_000)}`] },
  { name: '200 headers', lines: Array.from({ length: 200 }, (_, i) => `X-N${i}: v`) },
  { name: 'NUL in a header value', lines: ['X-Nul: a\u0000b'] },
  { name: 'negative Content-Length', lines: ['Content-Length: -1'], waits: true },
  { name: 'Content-Length 1e3', lines: ['Content-Length: 1e3'], waits: true },
  { name: 'Content-Length over the limit', lines: ['Content-Length: 99999999', 'Content-Type: application/json'] },
  { name: 'Expect 100-continue', lines: ['Expect: 100-continue', 'Content-Length: 2', 'Content-Type: application/json'], waits: true },
  { name: 'unknown Expect', lines: ['Expect: the-unexpected', 'Content-Length: 2'], waits: true },
  { name: 'h2c upgrade', lines: ['Upgrade: h2c', 'Connection: Upgrade, HTTP2-Settings', 'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA'] },
  { name: 'websocket upgrade', lines: WS_HEADERS() },
  { name: 'websocket upgrade without key', lines: ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13'] },
  { name: 'chunked', lines: ['Transfer-Encoding: chunked', 'Content-Type: application/json'], waits: true },
];

function WS_HEADERS(): string[] {
  return ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol: v5.channel.k8s.io'];
}

/** Bodies, with whether they leave the request incomplete (then our side is closed after them). */
const BODIES: { name: string; text: string; incomplete: boolean }[] = [
  { name: 'none', text: '', incomplete: false },
  { name: '{}', text: '{}', incomplete: false },
  { name: 'valid chunked', text: '2\r\n{}\r\n0\r\n\r\n', incomplete: false },
  { name: 'truncated chunk', text: '5\r\nab', incomplete: true },
  { name: 'bad chunk size', text: 'zz\r\nab\r\n0\r\n\r\n', incomplete: false },
  { name: 'huge chunk size', text: 'fffffffffffffffff\r\nab', incomplete: true },
  { name: 'truncated JSON', text: '{"a":', incomplete: true },
];

const UPGRADE_TARGETS_API = [
  '//[',
  '/api/v1/namespaces/fuzz/pods/fz-0/exec?command=ls&stdout=1',
  '/api/v1/namespaces/%zz/pods/x/exec?command=ls',
  '/api/v1/namespaces/fuzz/pods/%/exec',
  '/api/v1/namespaces/fuzz/pods/fz-0/attach?stdout=true',
  '/api/v1/namespaces/fuzz/pods/fz-0/portforward?ports=80',
  '*',
  'http://[',
  '/',
  '/api/v1/namespaces/fuzz/pods/fz-0/exec?command=%',
  '/api/v1/namespaces/fuzz/pods/fz-0/exec?command=ls&stdout=True&tty=1',
  '/api/v1/namespaces/fuzz/pods/fz-0/exec/..',
  '/api/v1/namespaces/fuzz/pods/%2e%2e/exec?command=ls',
  '/healthz',
  '/api/v1/namespaces/fuzz/pods/nope/exec?command=ls',
  '/api/v1/namespaces/fuzz/pods/fz-0/exec?%=%',
];

const UPGRADE_TARGETS_KUBELET = [
  '//[',
  '%zz',
  '*',
  'http://[',
  '/',
  '/exec/fuzz/fz-0/c?command=ls',
  '/exec/%zz/a/b?command=ls',
  '/exec/a/%/b?command=ls',
  '/exec/a/b/c',
  '/exec/a/b/uid/c?command=ls&stdout=True',
  '/attach/a/b/c?stdin=1&tty=t',
  '/attach/%ED%A0%80/b/c',
  '/containerLogs/a/b/c',
  '/healthz',
  '/exec/a/b/c?command=%',
  '/portForward/fuzz/fz-0',
  '/portForward/fuzz/fz-0/uid',
  '/portForward/%zz/b',
  '/portForward/a/b/c/d',
  '/tunnel/30000',
  '/tunnel/%zz',
];

/**
 * Node ports as a tunnel request spells them: garbage, outside the NodePort range (403), and in
 * it (the fuzz kubelet's node address is 127.0.0.1, where nothing is expected to answer: a 503;
 * should something answer, the tunnel opens and the case ends upgraded).
 */
const TUNNEL_PORTS = ['30000', '32767', '%33%31%30%30%30', '0', '1', '22', '10250', '29999', '32768', '65535', '65536', '99999', '999999999999', 'abc', '', '-1', '+30001', '3e4', '0x7530', '30000.0', '%zz', '%00', '30000/..', '..', '%2e%2e', '30000/x', ' 30001'];

/** The kubelet's NodePort tunnel (api/nodePortTunnel.ts) with hostile ports, methods, Upgrade headers and bytes behind the request. */
function tunnelCase(auths: RawAuth[]): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'CONNECT'),
      port: fc.constantFrom(...TUNNEL_PORTS),
      upgrade: fc.constantFrom('flotilla-tunnel', 'flotilla-tunnel', 'FLOTILLA-TUNNEL', 'websocket', 'h2c', '', 'flotilla-tunnel, websocket', 'flotilla-tunnel\u0000'),
      connection: fc.constantFrom('Upgrade', 'Upgrade', 'close', 'keep-alive, Upgrade'),
      auth: fc.constantFrom(...auths),
      trailing: fc.constantFrom('', '', 'GET / HTTP/1.1\r\n\r\n', '\u0000\u00ff garbage'),
    })
    .map((g): FuzzCase => {
      const target = `/tunnel/${g.port}`;
      const head = [`${g.method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', `Connection: ${g.connection}`];
      if (g.upgrade) head.push(`Upgrade: ${g.upgrade}`);
      if (g.auth.header) head.push(g.auth.header);
      // Bytes behind an upgrade request are the tunnel's first bytes; behind any other they would be
      // a pipelined second request, whose answer this harness would read as part of the first.
      const trailing = g.upgrade && /upgrade/i.test(g.connection) ? g.trailing : '';
      const raw = Buffer.from(`${head.join('\r\n')}\r\n\r\n${trailing}`, 'latin1');
      return {
        category: 'raw',
        notes: [`tunnel ${g.method} ${JSON.stringify(target)}`, `Upgrade ${JSON.stringify(g.upgrade)}, Connection ${JSON.stringify(g.connection)}`, `auth: ${g.auth.name}`, `bytes after the request: ${JSON.stringify(trailing)}`],
        request: { method: g.method, target, headers: [], raw },
        mayWriteSentinels: false,
        bodyDesc: JSON.stringify(raw.toString('latin1')),
        allow503: true, // a node port nothing answers on
      };
    });
}

export interface RawAuth {
  header: string | null;
  name: string;
}

function rawCase(lines: string[], upgradeTargets: string[], auths: RawAuth[], category: FuzzCase['category']): fc.Arbitrary<FuzzCase> {
  const lineCase = fc.record({
    line: fc.constantFrom(...lines),
    headers: fc.oneof({ arbitrary: fc.constant(HEADER_SETS[0]!), weight: 5 }, { arbitrary: fc.constantFrom(...HEADER_SETS), weight: 3 }),
    body: fc.oneof({ arbitrary: fc.constant(BODIES[0]!), weight: 3 }, { arbitrary: fc.constantFrom(...BODIES), weight: 1 }),
    auth: fc.constantFrom(...auths),
    halfClose: fc.boolean(),
  });
  const upgradeCase = fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'OPTIONS'),
    target: fc.constantFrom(...upgradeTargets),
    protocol: fc.constantFrom('v5.channel.k8s.io', 'v4.channel.k8s.io', 'SPDY/3.1', 'SPDY/3.1+portforward.k8s.io', 'portforward.k8s.io', 'bogus', ''),
    // kubectl's port-forward fallback: an upgrade to SPDY/3.1 instead of a WebSocket.
    spdy: fc.boolean(),
    auth: fc.constantFrom(...auths),
  });
  return fc.oneof(
    lineCase.map((g): FuzzCase => {
      const head = [g.line];
      if (!g.headers.lines.some((l) => /^host:/i.test(l))) head.push('Host: 127.0.0.1');
      head.push(...g.headers.lines);
      if (g.auth.header) head.push(g.auth.header);
      if (g.body.text && !g.headers.lines.some((l) => /^(content-length|transfer-encoding):/i.test(l))) head.push(`Content-Length: ${Buffer.byteLength(g.body.text)}`);
      head.push('Connection: close');
      const raw = Buffer.from(`${head.join('\r\n')}\r\n\r\n${g.body.text}`, 'latin1');
      const [method = '?', target = '?'] = g.line.split(' ');
      return {
        category,
        notes: [`request line ${JSON.stringify(g.line)}`, `headers: ${g.headers.name}`, `body: ${g.body.name}`, `auth: ${g.auth.name}`, ...(g.halfClose || g.body.incomplete || g.headers.waits ? ['client half-closes after writing'] : [])],
        request: { method, target, headers: [], raw, endAfterWrite: g.halfClose || g.body.incomplete || !!g.headers.waits },
        mayWriteSentinels: mayWriteSentinels(method, target),
        bodyDesc: JSON.stringify(raw.toString('latin1').slice(0, 600)),
        allow503: /\/pods\/[^/]+\/(log|exec|attach|portforward)/.test(g.line),
      };
    }),
    upgradeCase.map((g): FuzzCase => {
      const head = g.spdy
        ? [`${g.method} ${g.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: SPDY/3.1', 'Connection: Upgrade']
        : [`${g.method} ${g.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
      if (g.protocol) head.push(`${g.spdy ? 'X-Stream-Protocol-Version' : 'Sec-WebSocket-Protocol'}: ${g.protocol}`);
      if (g.auth.header) head.push(g.auth.header);
      const raw = Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
      return {
        category,
        notes: [`${g.spdy ? 'SPDY/3.1' : 'WebSocket'} upgrade ${g.method} ${JSON.stringify(g.target)}`, `protocol ${JSON.stringify(g.protocol)}`, `auth: ${g.auth.name}`],
        request: { method: g.method, target: g.target, headers: [], raw },
        mayWriteSentinels: mayWriteSentinels(g.method, g.target),
        bodyDesc: JSON.stringify(raw.toString('latin1')),
        allow503: true, // exec/attach/portforward need a kubelet the test cluster does not have
      };
    }),
  );
}

export function apiRawCase(adminToken: string): fc.Arbitrary<FuzzCase> {
  const auths: RawAuth[] = [
    { header: `Authorization: Bearer ${adminToken}`, name: 'admin token' },
    { header: `Authorization: Bearer ${adminToken}`, name: 'admin token' },
    { header: `Authorization: Bearer ${adminToken}`, name: 'admin token' },
    { header: null, name: 'none' },
    { header: 'Authorization: Bearer bogus', name: 'bogus token' },
  ];
  return rawCase(API_LINES, UPGRADE_TARGETS_API, auths, 'raw');
}

export function kubeletRawCase(token: string): fc.Arbitrary<FuzzCase> {
  const auths: RawAuth[] = [
    { header: `Authorization: Bearer ${token}`, name: 'kubelet token' },
    { header: `Authorization: Bearer ${token}`, name: 'kubelet token' },
    { header: null, name: 'none' },
    { header: 'Authorization: Bearer bogus', name: 'bogus token' },
  ];
  return fc.oneof({ arbitrary: rawCase(KUBELET_LINES, UPGRADE_TARGETS_KUBELET, auths, 'raw'), weight: 3 }, { arbitrary: tunnelCase(auths), weight: 1 });
}
