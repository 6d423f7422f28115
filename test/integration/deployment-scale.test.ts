import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeList, Pod } from '../../src-main/api/types.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';
import { openWatch } from '../helpers/watchStream.js';

// A 200-replica Deployment on 20 hollow nodes: created and rolled to a new image with the real
// kubectl. One raw pod watch, opened before the Deployment exists, sees every pod: exactly 400
// are ever created (no double creation under load), and at no event are there more than
// replicas+maxSurge live pods or fewer than replicas-maxUnavailable ready ones.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ scheduler: true, controllers: true, hollowNodes: { count: 20, podStartupDelayMs: 100 } });
});
afterAll(async () => c?.stop());

const isReady = (p: Pod) => p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';

describe('Deployments at scale (200 replicas, 20 hollow nodes)', () => {
  it('rolls out and rolls over within maxSurge/maxUnavailable, creating every pod exactly once', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } }) });
    const list = (await c.request('GET', '/api/v1/namespaces/big/pods')).json as KubeList<Pod>;
    const w = openWatch(c, `/api/v1/namespaces/big/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    expect(await w.status).toBe(200);

    // Defaults: maxSurge 25% (50) and maxUnavailable 25% (50) of 200.
    const m = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'big' }, spec: { replicas: 200, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } } };
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(m) });
    await c.kubectlOK(['-n', 'big', 'rollout', 'status', 'deploy/big', '--timeout=60s'], { timeoutMs: 65_000 });
    const rolledOutAt = w.events.length;
    await c.kubectlOK(['-n', 'big', 'set', 'image', 'deploy/big', 'c=nginx:1.26']);
    await c.kubectlOK(['-n', 'big', 'rollout', 'status', 'deploy/big', '--timeout=60s'], { timeoutMs: 65_000 });

    const pods = new Map<string, Pod>();
    const replay = () => {
      pods.clear();
      let maxLive = 0;
      let minReady = Infinity;
      w.events.forEach((e, i) => {
        const p = e.object as Pod;
        if (e.type === 'DELETED') pods.delete(p.metadata.uid!);
        else if (e.type !== 'BOOKMARK') pods.set(p.metadata.uid!, p);
        const live = [...pods.values()].filter((x) => !x.metadata.deletionTimestamp);
        maxLive = Math.max(maxLive, live.length);
        if (i >= rolledOutAt) minReady = Math.min(minReady, live.filter(isReady).length);
      });
      return { maxLive, minReady };
    };
    // Wait (on the watch, not a clock) until the last old pod is gone.
    await until('only the 200 new pods, all Ready, in the watch history', () => {
      replay();
      const all = [...pods.values()];
      return all.length === 200 && all.every((p) => isReady(p) && p.spec.containers[0]!.image === 'nginx:1.26');
    });
    w.close();
    const { maxLive, minReady } = replay();
    expect(maxLive).toBeLessThanOrEqual(250);
    expect(minReady).toBeGreaterThanOrEqual(150);
    expect(w.events.filter((e) => e.type === 'ADDED')).toHaveLength(400);
  }, 120_000);
});
