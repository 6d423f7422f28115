import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import type { Pod } from '../../src-main/api/types.js';
import { ClusterManager } from '../../src-main/cluster/clusterManager.js';
import { LABEL, labelFilters } from '../../src-main/cluster/labels.js';
import type { ControlPlaneOptions } from '../../src-main/controlplane.js';
import { kubeletBundlePath } from '../../src-main/dockerNodes.js';
import { ensureImages } from '../../src-main/images/index.js';
import { startTestCluster, type TestCluster } from './controlPlane.js';
import { docker } from './dockerEngine.js';
import type { KubectlResult } from './kubectl.js';
import { until } from './wait.js';

// Shared by the tests that run clusters with Docker nodes (test/integration/docker-*.test.ts,
// cluster-identity): a real control plane with real node containers (the node image runs
// dist/kubelet.cjs), in this process (startDockerCluster) or in `flotilla up` (upCluster.ts); the
// names and the clean-up of their Docker objects; and checks on what Docker holds for a cluster,
// found by its label.

/** A cluster name no other run (or earlier crashed run) uses: a DNS label of at most 40 characters. */
export function uniqueClusterName(suffix: string): string {
  return `t-${process.pid}-${Date.now().toString(36)}-${suffix}`;
}

/**
 * The node image bundles dist/kubelet.cjs (built by `npm test` / `node scripts/build-cli.mjs`):
 * a bundle older than the kubelet's sources means the nodes run yesterday's kubelet.
 */
function warnIfKubeletBundleStale(): void {
  const bundle = path.resolve(__dirname, '../../dist/kubelet.cjs');
  if (!fs.existsSync(bundle)) return; // startDockerNodes says what to do
  const built = fs.statSync(bundle).mtimeMs;
  const dirs = ['kubelet', 'proxy', 'node', 'client', 'api'].map((d) => path.resolve(__dirname, '../../src-main', d));
  const newer = dirs.flatMap((d) => fs.readdirSync(d, { recursive: true }).map((f) => path.join(d, String(f)))).filter((f) => f.endsWith('.ts') && fs.statSync(f).mtimeMs > built);
  if (newer.length) console.warn(`dist/kubelet.cjs is older than ${newer.length} kubelet source file(s) (e.g. ${path.relative(process.cwd(), newer[0]!)}): run \`node scripts/build-cli.mjs\` (npm test does)`);
}

/**
 * Builds (first run on a fresh machine: minutes) or finds the node images, for tests that start
 * `flotilla up` themselves: `up` then only creates containers.
 */
export async function prepareNodeImages(): Promise<void> {
  warnIfKubeletBundleStale();
  await ensureImages(docker, { bundleFile: kubeletBundlePath(), pull: false });
}

export interface DockerTestCluster extends TestCluster {
  clusterName: string;
}

/** A control plane with scheduler, controllers and `nodes` Docker nodes; every node Ready. */
export async function startDockerCluster(clusterName: string, opts: Partial<ControlPlaneOptions> = {}): Promise<DockerTestCluster> {
  warnIfKubeletBundleStale();
  const t0 = performance.now();
  const c = await startTestCluster({ scheduler: true, controllers: true, nodes: 3, clusterName, ...opts });
  const nodes = opts.nodes ?? 3;
  await until(
    `${nodes} Ready nodes`,
    async () => {
      const list = (await c.request('GET', '/api/v1/nodes')).json as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
      return list.items.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length === nodes;
    },
    60_000,
  );
  console.log(`cluster ${clusterName}: control plane + ${nodes} Docker nodes Ready in ${Math.round(performance.now() - t0)} ms`);
  return Object.assign(c, { clusterName });
}

/** Stops the control plane, then removes everything with the cluster's label (also when start failed half-way). */
export async function removeDockerCluster(c: DockerTestCluster | undefined, clusterName: string): Promise<void> {
  const manager = c?.cp.docker?.cluster;
  await c?.stop();
  if (manager) await manager.deleteCluster();
  else await deleteClusterByName(clusterName);
}

/** What `flotilla down` does to Docker, for a cluster no control plane of this process manages. */
export async function deleteClusterByName(clusterName: string): Promise<void> {
  const m = new ClusterManager({ docker, clusterName, dataDir: null, apiServer: { hostPort: 0, caCert: '' }, nodeImage: 'flotilla/node', tokenFor: () => '', relayOwnedElsewhere: true });
  await m.deleteCluster();
  await m.close();
}

/** Containers, volumes and networks that still carry the cluster's label. */
export async function leftovers(clusterName: string): Promise<{ containers: string[]; volumes: string[]; networks: string[] }> {
  const filters = labelFilters({ [LABEL.cluster]: clusterName });
  const [containers, volumes, networks] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listNetworks({ filters })]);
  return {
    containers: containers.map((x) => (x.Names[0] ?? x.Id).replace(/^\//, '')),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    networks: networks.map((n) => n.Name),
  };
}

// ---- pods through the API (fast polling) ----

export async function getPod(c: TestCluster, name: string, ns = 'default'): Promise<Pod | undefined> {
  const r = await c.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET pod ${ns}/${name}: ${r.status} ${r.text}`);
  return r.json as Pod;
}

export async function listPods(c: TestCluster, labelSelector: string, ns = 'default'): Promise<Pod[]> {
  const r = await c.request('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(labelSelector)}`);
  if (r.status !== 200) throw new Error(`list pods ${labelSelector}: ${r.status} ${r.text}`);
  return (r.json as { items: Pod[] }).items;
}

export function isReady(p: Pod | undefined): boolean {
  return !!p && p.status?.phase === 'Running' && !!p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
}

export async function waitPodReady(c: TestCluster, name: string, ms = 30_000): Promise<Pod> {
  return until(`pod ${name} Running and Ready`, async () => {
    const p = await getPod(c, name);
    return isReady(p) ? p : undefined;
  }, ms, 100);
}

/** Pods of a selector that run, are Ready and are not being deleted. */
export async function readyPods(c: TestCluster, labelSelector: string): Promise<Pod[]> {
  return (await listPods(c, labelSelector)).filter((p) => !p.metadata.deletionTimestamp && isReady(p));
}

// ---- from inside a pod, with kubectl exec ----

/** `kubectl exec <pod> -- node -e "fetch(url)..."`: the body on stdout, exit 1 with the error on failure. */
export function fetchFromPod(c: TestCluster, pod: string, url: string): Promise<KubectlResult> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(String(e.cause ?? e)); process.exit(1); })`;
  return c.kubectl(['exec', pod, '--', 'node', '-e', script]);
}

/** The running Docker container of a pod's container, found by the labels the kubelet puts on it. */
export async function appContainer(clusterName: string, pod: string, container: string): Promise<Docker.ContainerInfo> {
  const list = await docker.listContainers({ filters: labelFilters({ [LABEL.cluster]: clusterName, [LABEL.pod]: pod, 'flotilla.dev/container': container }) });
  if (list.length !== 1) throw new Error(`expected one running container ${container} of pod ${pod}, found ${list.length}`);
  return list[0]!;
}

export function dockerId(containerID: string | undefined): string {
  return (containerID ?? '').replace(/^docker:\/\//, '');
}
