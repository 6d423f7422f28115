// Ingress on the desktop (issue 9 item 5): the ingress controller add-on (IngressClass `flotilla`,
// Debian's nginx configured by src-main/ingress) publishes its ports on the host's loopback, so
// http://<host>.localhost:<port>/path reaches the right Service. Real Docker nodes, real pods, the
// real kubectl; requests from this process go to 127.0.0.1 only (a `*.localhost` name is sent as
// the Host header, as the browser does after resolving it to loopback).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Ingress } from '../../src-main/api/types.js';
import { ensurePki } from '../../src-main/apiserver/auth/pki.js';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { startTestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('ing');
let c: DockerTestCluster;
let httpPort: number;
let httpsPort: number;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-ing-'));
/** Folders of control planes replaced by a restart. */
const oldDirs: string[] = [];

/**
 * Answers with JSON naming the app, the pod, the path and the headers nginx sent; an upgrade
 * request is accepted with 101 and then echoes every byte back (what a WebSocket needs of a proxy).
 */
const SERVER = `
const http = require('http');
const s = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ app: process.env.APP, pod: process.env.POD_NAME, path: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'], proto: req.headers['x-forwarded-proto'], port: req.headers['x-forwarded-port'], fhost: req.headers['x-forwarded-host'] }));
});
s.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n');
  socket.pipe(socket);
});
s.listen(8080);
`;

function app(name: string, replicas: number): object[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'app',
                image: 'flotilla/hello:1.0',
                imagePullPolicy: 'Never',
                command: ['node', '-e', SERVER],
                env: [{ name: 'APP', value: name }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: labels, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } },
  ];
}

const be = (service: string, port: number | string = 80) => ({ service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } });

async function apply(...objs: object[]): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: objs.map((o) => JSON.stringify(o)).join('\n') });
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: { app: string; pod: string; path: string; host: string; xff: string; proto: string; port: string; fhost: string };
}

function get(host: string, urlPath: string, opts: { tls?: { ca?: string }; port?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const mod = opts.tls ? https : http;
    const req = mod.request(
      {
        host: '127.0.0.1',
        port: opts.port ?? (opts.tls ? httpsPort : httpPort),
        path: urlPath,
        headers: { Host: host },
        agent: false,
        timeout: 10_000,
        ...(opts.tls ? { servername: host, ca: opts.tls.ca, rejectUnauthorized: !!opts.tls.ca } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, body, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function events(name: string): Promise<Event[]> {
  const r = await c.request('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},involvedObject.kind=Ingress`)}`);
  return (r.json as { items: Event[] }).items;
}

/** The controller's /metrics, read inside its pod (the image has node). */
async function metrics(): Promise<Record<string, number>> {
  const out = await c.kubectlOK(['-n', 'kube-system', 'exec', 'deploy/flotilla-ingress-controller', '--', 'node', '-e', "require('http').get('http://127.0.0.1:10254/metrics', (r) => r.pipe(process.stdout))"]);
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
}

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 2, ingress: { httpPort: 0, httpsPort: 0 } });
  httpPort = c.cp.ingress!.http;
  httpsPort = c.cp.ingress!.https;
  await apply(...app('blue', 2), ...app('green', 1));
  await c.kubectlOK(['rollout', 'status', 'deployment/blue', 'deployment/green', '--timeout=90s'], { timeoutMs: 95_000 });
  await c.kubectlOK(['-n', 'kube-system', 'rollout', 'status', 'deployment/flotilla-ingress-controller', '--timeout=90s'], { timeoutMs: 95_000 });
}, 240_000);

afterAll(async () => {
  await removeDockerCluster(c, CLUSTER);
  for (const d of [c?.dir ?? '', ...oldDirs]) fs.rmSync(d, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('the ingress controller add-on', () => {
  it('ships IngressClass flotilla as the default, and a new Ingress without a class gets it', async () => {
    const cls = (await c.request('GET', '/apis/networking.k8s.io/v1/ingressclasses/flotilla')).json;
    expect(cls.spec.controller).toBe('flotilla.dev/ingress-nginx');
    expect(cls.metadata.annotations['ingressclass.kubernetes.io/is-default-class']).toBe('true');
    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'hosts', namespace: 'default' }, spec: { rules: [{ host: 'blue.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('blue') }] } }, { host: 'green.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('green', 'web') }] } }] } });
    const ing = (await c.request('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/hosts')).json as Ingress;
    expect(ing.spec!.ingressClassName).toBe('flotilla');
  });

  it('routes by Host to the right Service on the loopback port, spreading over the ready pods, with the X-Forwarded headers', async () => {
    const blue = await until('blue.localhost answers', async () => {
      const a = await get('blue.localhost', '/hello').catch(() => undefined);
      return a?.status === 200 ? a : undefined;
    }, 30_000);
    expect(blue.json).toMatchObject({ app: 'blue', path: '/hello', host: 'blue.localhost', proto: 'http', port: String(httpPort), fhost: 'blue.localhost' });
    expect((await get('green.localhost', '/')).json!.app).toBe('green');
    const pods = new Set<string>();
    for (let i = 0; i < 40 && pods.size < 2; i++) pods.add((await get('blue.localhost', '/')).json!.pod);
    expect(pods.size).toBe(2);
    // A Host no rule names gets the default backend's 404.
    const other = await get('nobody.localhost', '/');
    expect(other.status).toBe(404);
    expect(other.body).toBe('default backend - 404\n');
  });

  it('sets status.loadBalancer to 127.0.0.1, shown by kubectl get ingress, with a Sync event', async () => {
    const ing = await until('status of hosts', async () => {
      const i = (await c.request('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/hosts')).json as Ingress;
      return i.status?.loadBalancer?.ingress?.length ? i : undefined;
    });
    expect(ing.status!.loadBalancer!.ingress).toEqual([{ ip: '127.0.0.1' }]);
    const [header, row] = (await c.kubectlOK(['get', 'ingress', 'hosts'])).trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    expect(row!.split(/\s+/).slice(0, 5)).toEqual(['hosts', 'flotilla', 'blue.localhost,green.localhost', '127.0.0.1', '80']);
    expect((await events('hosts')).find((e) => e.reason === 'Sync')).toMatchObject({ type: 'Normal', message: 'Scheduled for sync', source: { component: 'flotilla-ingress-controller' } });
  });

  it('matches paths as Kubernetes defines Prefix, Exact and ImplementationSpecific, with Exact and longer paths first', async () => {
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'paths', namespace: 'default' },
      spec: {
        rules: [
          {
            host: 'paths.localhost',
            http: {
              paths: [
                { path: '/foo', pathType: 'Prefix', backend: be('blue') },
                { path: '/foo/bar', pathType: 'Exact', backend: be('green') },
                { path: '/impl', pathType: 'ImplementationSpecific', backend: be('green') },
                { path: '/', pathType: 'Exact', backend: be('green') },
              ],
            },
          },
        ],
      },
    });
    const appAt = async (p: string) => {
      const a = await get('paths.localhost', p);
      return a.status === 200 ? a.json!.app : a.status;
    };
    const want: Record<string, string | number> = {
      '/foo': 'blue',
      '/foo/': 'blue',
      '/foo/baz': 'blue',
      '/foo/bar': 'green', // Exact wins over the Prefix
      '/foo/bar/x': 'blue',
      '/foobar': 404, // element-wise: /foo is not a prefix of /foobar
      '/impl': 'green',
      '/implx': 'green', // nginx's prefix match
      '/': 'green',
      '/other': 404,
    };
    // Until nginx runs the new configuration (a reload is not instant), then every answer at once.
    const got = await until('every path answered as wanted', async () => {
      const g = Object.fromEntries(await Promise.all(Object.keys(want).map(async (p) => [p, await appAt(p)])));
      return JSON.stringify(g) === JSON.stringify(want) ? g : undefined;
    }, 30_000);
    expect(got).toEqual(want);
  });

  it('serves defaultBackend for what no rule matches', async () => {
    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'fallback', namespace: 'default' }, spec: { defaultBackend: be('green') } });
    const a = await until('the default backend answers', async () => {
      const r = await get('unknown.localhost', '/anything');
      return r.status === 200 ? r : undefined;
    }, 30_000);
    expect(a.json!.app).toBe('green');
    // A named host keeps its own rules.
    expect((await get('blue.localhost', '/')).json!.app).toBe('blue');
  });

  it('terminates TLS with the certificate of a Secret, redirects HTTP to HTTPS with 308, and serves the default certificate to other hosts', async () => {
    const pki = await ensurePki(path.join(tmp, 'pki'), ['secure.localhost']);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await apply(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secure-tls', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64(pki.serverCert), 'tls.key': b64(pki.serverKey) } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'secure', namespace: 'default' }, spec: { tls: [{ hosts: ['secure.localhost'], secretName: 'secure-tls' }], rules: [{ host: 'secure.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('blue') }] } }] } },
    );
    const a = await until('https://secure.localhost answers with the Secret\'s certificate', async () => {
      const r = await get('secure.localhost', '/tls', { tls: { ca: pki.caCert } }).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    }, 30_000);
    expect(a.json).toMatchObject({ app: 'blue', path: '/tls', proto: 'https', port: String(httpsPort) });
    const plain = await until('plain HTTP is redirected', async () => {
      const r = await get('secure.localhost', '/x?y=1');
      return r.status === 308 ? r : undefined;
    });
    expect(plain.headers.location).toBe(`https://secure.localhost:${httpsPort}/x?y=1`);
    // Other hosts: the cluster's default certificate (signed by the cluster CA, for localhost and
    // *.localhost), and no redirect.
    const other = await new Promise<{ app: string; names: string | undefined }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: httpsPort, path: '/', headers: { Host: 'blue.localhost' }, servername: 'blue.localhost', ca: c.cp.caCert, checkServerIdentity: () => undefined, agent: false }, (res) => {
        const names = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subjectaltname;
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ app: JSON.parse(b).app, names }));
      });
      req.on('error', reject);
    });
    expect(other).toEqual({ app: 'blue', names: 'DNS:localhost, DNS:*.localhost' });
    expect((await get('blue.localhost', '/')).status).toBe(200);
  });

  it('passes a WebSocket upgrade through and carries bytes both ways', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(httpPort, '127.0.0.1', () => {
        s.write('GET /ws HTTP/1.1\r\nHost: blue.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      let buf = '';
      let sent = false;
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (!sent) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          if (!buf.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${buf}`));
          sent = true;
          buf = buf.slice(end + 4);
          s.write('ping-through-nginx');
        }
        if (buf.includes('ping-through-nginx')) {
          s.destroy();
          resolve(buf);
        }
      });
      s.on('error', reject);
      setTimeout(() => reject(new Error(`timeout: ${buf}`)), 10_000);
    });
    expect(echoed).toContain('ping-through-nginx');
  });

  it('records an event for a rule pointing at a missing Service and answers 503 there; the rest keeps working', async () => {
    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'broken', namespace: 'default' }, spec: { rules: [{ host: 'broken.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('nope') }] } }] } });
    const ev = await until('a ServiceNotFound event', async () => (await events('broken')).find((e) => e.reason === 'ServiceNotFound'), 30_000);
    expect(ev).toMatchObject({ type: 'Warning', message: 'Service "default/nope" not found' });
    // The event comes once nginx serves the configuration that has the rule.
    expect((await get('broken.localhost', '/')).status).toBe(503);
    expect((await get('blue.localhost', '/')).status).toBe(200);
    // The Service appears: the rule works without touching the Ingress.
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nope', namespace: 'default' }, spec: { selector: { app: 'green' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await until('broken.localhost reaches green', async () => (await get('broken.localhost', '/')).json?.app === 'green', 30_000);
  });

  it('keeps a hostile path out of the configuration with an event, and nginx keeps serving', async () => {
    const before = await metrics();
    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'hostile', namespace: 'default' }, spec: { rules: [{ host: 'hostile.localhost', http: { paths: [{ path: '/x"; } server { listen 9999; } #', pathType: 'ImplementationSpecific', backend: be('blue') }, { path: '/ok', pathType: 'Exact', backend: be('blue') }] } }] } });
    const ev = await until('an InvalidPath event', async () => (await events('hostile')).find((e) => e.reason === 'InvalidPath'), 30_000);
    expect(ev.type).toBe('Warning');
    await until('hostile.localhost/ok answers', async () => (await get('hostile.localhost', '/ok')).status === 200, 30_000);
    const after = await metrics();
    expect(after.nginx_ingress_controller_errors).toBe(before.nginx_ingress_controller_errors);
    expect(after.nginx_ingress_controller_config_last_reload_successful).toBe(1);
  });

  it('reloads nginx only when the configuration changes', async () => {
    const before = await metrics();
    // A label on an Ingress, a new unrelated ConfigMap-free Service: events, but the same configuration.
    await c.kubectlOK(['label', 'ingress', 'hosts', 'touched=yes']);
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'unrelated', namespace: 'default' }, spec: { selector: { app: 'none' }, ports: [{ port: 81 }] } });
    await until('the controller synced the changes', async () => (await metrics()).flotilla_ingress_controller_syncs >= before.flotilla_ingress_controller_syncs + 1, 30_000);
    expect((await metrics()).nginx_ingress_controller_success).toBe(before.nginx_ingress_controller_success);
    // A real change (a new path) reloads once more.
    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'more', namespace: 'default' }, spec: { rules: [{ host: 'more.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('blue') }] } }] } });
    await until('more.localhost answers', async () => (await get('more.localhost', '/')).status === 200, 30_000);
    expect((await metrics()).nginx_ingress_controller_success).toBeGreaterThan(before.nginx_ingress_controller_success);
  });

  it('takes a pod that turns unready out of rotation, and scaling to zero answers 503', async () => {
    await c.kubectlOK(['scale', 'deployment/green', '--replicas=0']);
    await until('green.localhost answers 503', async () => (await get('green.localhost', '/')).status === 503, 30_000);
    await c.kubectlOK(['scale', 'deployment/green', '--replicas=1']);
    await until('green.localhost answers again', async () => (await get('green.localhost', '/')).json?.app === 'green', 60_000);
  });

  it('heals when the node running the controller stops: a new controller pod takes the loopback port on another node', async () => {
    const pods = (await c.request('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dflotilla-ingress')).json as { items: { metadata: { name: string }; spec: { nodeName: string } }[] };
    const old = pods.items[0]!;
    await c.cp.docker!.cluster.stopNode(old.spec.nodeName);
    try {
      const answer = await until('blue.localhost answers through a controller on another node', async () => {
        const now = (await c.request('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dflotilla-ingress')).json as typeof pods;
        const moved = now.items.find((p) => p.spec.nodeName && p.spec.nodeName !== old.spec.nodeName);
        if (!moved) return undefined;
        const r = await get('blue.localhost', '/').catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      }, 120_000, 500);
      expect(answer.json!.app).toBe('blue');
    } finally {
      await c.cp.docker!.cluster.startNode(old.spec.nodeName);
    }
  }, 150_000);

  it('keeps its loopback ports across a control plane restart, though its own pod holds them, and serves on', async () => {
    const dataDir = path.dirname(c.cp.kubeconfigPath!);
    const apiPort = c.cp.apiserver.port;
    const deployment = (await c.request('GET', '/apis/apps/v1/namespaces/kube-system/deployments/flotilla-ingress-controller')).json;
    await c.cp.stop();
    // No ports asked this time: the ones the add-on has win over probing (which would find them taken).
    const again = await startTestCluster({ dataDir, port: apiPort, scheduler: true, controllers: true, nodes: 2, clusterName: CLUSTER, ingress: {} });
    oldDirs.push(c.dir);
    c = Object.assign(again, { clusterName: CLUSTER });
    expect(c.cp.ingress).toEqual({ http: httpPort, https: httpsPort });
    const now = (await c.request('GET', '/apis/apps/v1/namespaces/kube-system/deployments/flotilla-ingress-controller')).json;
    expect(now.metadata.generation).toBe(deployment.metadata.generation); // not rolled: nothing changed
    await until('blue.localhost answers after the restart', async () => (await get('blue.localhost', '/').catch(() => undefined))?.json?.app === 'blue', 60_000);
  }, 120_000);
});
