'use strict';
// flotilla/hello: the sample app. A small HTTP server that says which pod and node answered and
// which version it is, and that can be told to misbehave so demos and tests can show what the
// cluster does about it. No dependencies: it runs on the image's bare Node.js.
//
//   GET /               "Hello from <pod> on <node> (version <v>)"
//   GET /healthz        liveness: 200 unless /fail?probe=liveness (or both) was called
//   GET /readyz         readiness: 503 before HELLO_READY_AFTER_MS has passed and after /fail
//   GET /fail           readiness fails from now on (?probe=liveness|readiness|both)
//   GET /recover        undoes /fail
//   GET /crash          exits with status 1 (?code=N for another status)
//   GET /oom?mb=N       allocates N MB more and keeps it (the memory limit demo)
//   GET /env            the environment as JSON
//   GET /version        the version string
//
// Environment: PORT (8080), HOST (all interfaces), POD_NAME and NODE_NAME (set by the kubelet
// through the downward API; the pod name falls back to the hostname, which is the pod's name in
// Kubernetes anyway), HELLO_VERSION, HELLO_READY_AFTER_MS (not ready until then),
// HELLO_CRASH_AFTER_MS (exit 1 after that long).

const http = require('node:http');
const os = require('node:os');

const version = process.env.HELLO_VERSION || 'dev';
const podName = process.env.POD_NAME || os.hostname();
const nodeName = process.env.NODE_NAME || 'an unknown node';
const port = Number(process.env.PORT || 8080);
const host = process.env.HOST || undefined;
const startedAt = Date.now();
const readyAfterMs = Number(process.env.HELLO_READY_AFTER_MS || 0);
const crashAfterMs = Number(process.env.HELLO_CRASH_AFTER_MS || 0);

let readinessFailed = false;
let livenessFailed = false;
// Kept referenced on purpose: /oom is a memory hog.
const hogs = [];

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? type : 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-hello-version': version,
    'x-hello-pod': podName,
  });
  res.end(text);
}

function readiness() {
  if (readinessFailed) return { ready: false, reason: 'readiness was failed with /fail' };
  const left = startedAt + readyAfterMs - Date.now();
  if (left > 0) return { ready: false, reason: `not ready for another ${left} ms (HELLO_READY_AFTER_MS)` };
  return { ready: true, reason: 'ready' };
}

function allocatedMb() {
  return hogs.reduce((sum, b) => sum + b.length, 0) / (1024 * 1024);
}

const routes = {
  '/': (_url, res) => send(res, 200, `Hello from ${podName} on ${nodeName} (version ${version})\n`),
  '/healthz': (_url, res) => (livenessFailed ? send(res, 500, 'unhealthy: failed with /fail\n') : send(res, 200, 'ok\n')),
  '/readyz': (_url, res) => {
    const r = readiness();
    send(res, r.ready ? 200 : 503, `${r.reason}\n`);
  },
  '/fail': (url, res) => {
    const probe = url.searchParams.get('probe') || 'readiness';
    if (!['readiness', 'liveness', 'both'].includes(probe)) {
      return send(res, 400, `probe must be readiness, liveness or both, not ${JSON.stringify(probe)}\n`);
    }
    if (probe !== 'liveness') readinessFailed = true;
    if (probe !== 'readiness') livenessFailed = true;
    log(`failing ${probe} as asked`);
    send(res, 200, `${probe} now fails\n`);
  },
  '/recover': (_url, res) => {
    readinessFailed = false;
    livenessFailed = false;
    log('recovered as asked');
    send(res, 200, 'recovered\n');
  },
  '/crash': (url, res) => {
    const code = Number(url.searchParams.get('code') || 1);
    log(`crashing with exit status ${code} as asked`);
    res.on('finish', () => process.exit(code));
    send(res, 200, `crashing with exit status ${code}\n`);
  },
  '/oom': (url, res) => {
    const mb = Number(url.searchParams.get('mb') || 64);
    if (!Number.isFinite(mb) || mb <= 0 || mb > 1024 * 64) {
      return send(res, 400, 'mb must be a number of megabytes between 1 and 65536\n');
    }
    log(`allocating ${mb} MB as asked`);
    // One chunk per MB, each written to, so the pages count against the container's memory.
    for (let i = 0; i < mb; i++) hogs.push(Buffer.alloc(1024 * 1024, 1));
    send(res, 200, { allocatedMb: allocatedMb(), rssMb: Math.round(process.memoryUsage().rss / (1024 * 1024)) });
  },
  '/env': (_url, res) => send(res, 200, process.env),
  '/version': (_url, res) => send(res, 200, `${version}\n`),
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url || '/', 'http://hello.local');
  const route = routes[url.pathname];
  if (url.pathname !== '/healthz' && url.pathname !== '/readyz') {
    log(`${req.method} ${url.pathname}${url.search} from ${req.socket.remoteAddress}`);
  }
  if (!route) return send(res, 404, `no such path: ${url.pathname}\n`);
  route(url, res);
});

server.listen(port, host, () => {
  const address = server.address();
  log(`hello ${version} listening on port ${address.port} as ${podName} on ${nodeName}`);
});

if (crashAfterMs > 0) {
  setTimeout(() => {
    log(`crashing after ${crashAfterMs} ms (HELLO_CRASH_AFTER_MS)`);
    process.exit(1);
  }, crashAfterMs).unref();
}

// PID 1 in its container has no default signal handlers: stop quickly and cleanly on our own.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    log(`${signal}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
