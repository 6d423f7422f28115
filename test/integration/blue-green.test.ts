// Blue-green on real Docker nodes (issue 9 item 7): two Deployments of the sample app, blue
// (flotilla/hello:1.0) and green (:2.0), one Service selecting `version: blue`. A client pod sends
// a request on a new connection every 20 ms to the Service's ClusterIP the whole time, and logs
// each answer. Patching the Service's selector to `version: green` moves new connections to green
// (the EndpointSlice controller rewrites the slice in one write, kube-proxy swaps the rules in one
// iptables-restore), and not one request fails: no window without endpoints, no connection refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('bluegreen');
let c: DockerTestCluster;

const deployment = (color: 'blue' | 'green', image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: `web-${color}`, namespace: 'default' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web', version: color } },
    template: {
      metadata: { labels: { app: 'web', version: color } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image, imagePullPolicy: 'Never', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 } }],
      },
    },
  },
});

/** One request per 20 ms, each on a new connection; logs `<ms> <answer or error code>`. */
const client = (url: string) => `
const http = require('http');
setInterval(() => {
  const t = Date.now();
  http.get('${url}', { agent: false, timeout: 5000 }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(t + ' ' + r.statusCode + ' ' + b.trim())); })
    .on('timeout', function () { this.destroy(); console.log(t + ' TIMEOUT'); })
    .on('error', (e) => console.log(t + ' ERROR ' + e.code));
}, 20);
`;

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 2 });
  for (const [color, image] of [['blue', 'flotilla/hello:1.0'], ['green', 'flotilla/hello:2.0']] as const) {
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(deployment(color, image)) });
  }
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web', version: 'blue' }, ports: [{ port: 80, targetPort: 'http' }] } }) });
  for (const color of ['blue', 'green']) await c.kubectlOK(['rollout', 'status', `deployment/web-${color}`, '--timeout=90s'], { timeoutMs: 95_000 });
}, 180_000);

afterAll(async () => removeDockerCluster(c, CLUSTER), 120_000);

describe('blue-green by Service selector', () => {
  it('moves new connections from blue to green with no failed request', async () => {
    const ip = ((await c.request('GET', '/api/v1/namespaces/default/services/web')).json as { spec: { clusterIP: string } }).spec.clusterIP;
    await c.kubectlOK(['run', 'client', '--image=flotilla/hello:1.0', '--image-pull-policy=Never', '--restart=Never', '--command', '--', 'node', '-e', client(`http://${ip}/`)]);
    const log = async () =>
      (await c.kubectlOK(['logs', 'client']))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [at, ...rest] = l.split(' ');
          return { at: Number(at), answer: rest.join(' ') };
        });
    await until('blue answering through the Service', async () => (await log()).filter((l) => l.answer.includes('(version 1.0)')).length >= 50, 60_000);
    const switchedAt = Date.now();
    await c.kubectlOK(['patch', 'service', 'web', '-p', '{"spec":{"selector":{"app":"web","version":"green"}}}']);
    // Run on until a good stretch of green answers follows the switch.
    const after = await until('green answering after the switch', async () => {
      const l = await log();
      const green = l.filter((x) => x.at > switchedAt && x.answer.includes('(version 2.0)'));
      return green.length >= 100 ? l : undefined;
    }, 60_000);
    const failed = after.filter((l) => !/^200 Hello from web-(blue|green)-/.test(l.answer));
    expect(failed).toEqual([]);
    // Once green has answered, blue never answers a new connection again.
    const firstGreen = after.find((l) => l.answer.includes('(version 2.0)'))!;
    const lastBlue = after.filter((l) => l.answer.includes('(version 1.0)')).at(-1)!;
    expect(lastBlue.at).toBeLessThan(firstGreen.at);
    expect(firstGreen.at).toBeGreaterThanOrEqual(switchedAt - 100);
    console.log(`blue-green: ${after.length} requests, 0 failed; last blue request sent ${lastBlue.at - switchedAt} ms and first green ${firstGreen.at - switchedAt} ms after the patch was sent`);
  }, 150_000);
});
