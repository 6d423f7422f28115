import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiRelay } from '../../src-main/cluster/apiRelay.js';
import { ClusterError, ClusterManager, type ClusterManagerOptions } from '../../src-main/cluster/clusterManager.js';
import { execIn } from '../../src-main/cluster/exec.js';
import { LABEL, labelFilters } from '../../src-main/cluster/labels.js';
import { cidrContains, findClusterNetwork, pickNodeAddress, type NetworkLayout } from '../../src-main/cluster/network.js';
import { createNodeContainer, type NodeSpec } from '../../src-main/cluster/nodeContainer.js';
import { startControlPlane, type ControlPlane } from '../../src-main/controlplane.js';
import { skipWithout } from '../helpers/requirements.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';

// The cluster manager against the real Docker engine: a real control plane on loopback, real
// node containers, and probes run inside them with `docker exec`. All traffic stays on loopback
// and on the test cluster's own Docker network.
//
// The node image: $FLOTILLA_TEST_NODE_IMAGE when set (its own CMD runs, or $FLOTILLA_TEST_NODE_CMD,
// a JSON array), otherwise a placeholder
// assembled from this machine's node, iptables and sh (no registry, no downloads) whose "kubelet"
// only waits for SIGTERM: these tests are about the containers, not the kubelet.

const PLACEHOLDER_KUBELET = `process.on('SIGTERM', () => process.exit(0));
console.log('placeholder kubelet for', process.env.FLOTILLA_NODE_NAME);
setInterval(() => {}, 1 << 30);
`;

function sharedLibs(binaries: string[]): string[] {
  const out = execFileSync('ldd', binaries, { encoding: 'utf8' });
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

async function placeholderImage(): Promise<string> {
  if (process.env.FLOTILLA_TEST_NODE_IMAGE) return process.env.FLOTILLA_TEST_NODE_IMAGE;
  const iptables = fs.realpathSync('/usr/sbin/iptables');
  const sh = fs.realpathSync('/bin/sh');
  const bins = [process.execPath, iptables, sh, '/usr/bin/nsenter'];
  const libs = sharedLibs(bins);
  // iptables looks for its extensions (RETURN, DROP, ...) under the real /usr/lib path.
  const xtablesDir = fs.realpathSync(path.join(path.dirname(libs.find((l) => l.includes('libxtables')) ?? '/usr/lib/x86_64-linux-gnu/x'), 'xtables'));
  const files = [...bins, ...libs, '/etc/protocols'];
  const hash = createHash('sha256')
    .update(JSON.stringify(files.map((f) => [f, fs.statSync(f).size])))
    .update(PLACEHOLDER_KUBELET)
    .update('recipe 3')
    .digest('hex')
    .slice(0, 12);
  const tag = `flotilla-test/cluster-node:${hash}`;
  if (await docker.getImage(tag).inspect().then(() => true, () => false)) return tag;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-node-rootfs-'));
  const put = (file: string, dest = file) => {
    fs.mkdirSync(path.join(root, path.dirname(dest)), { recursive: true });
    fs.copyFileSync(file, path.join(root, dest));
    fs.chmodSync(path.join(root, dest), fs.statSync(file).mode & 0o777);
  };
  for (const f of files) put(f);
  put(process.execPath, '/usr/bin/node');
  for (const f of fs.readdirSync(xtablesDir)) put(path.join(xtablesDir, f));
  for (const n of ['iptables', 'iptables-save', 'iptables-restore']) fs.symlinkSync(iptables, path.join(root, 'usr/sbin', n));
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  if (!fs.existsSync(path.join(root, 'bin/sh'))) fs.symlinkSync(sh, path.join(root, 'bin/sh'));
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.mkdirSync(path.join(root, 'flotilla'));
  fs.writeFileSync(path.join(root, 'flotilla/kubelet.js'), PLACEHOLDER_KUBELET);
  fs.chmodSync(root, 0o755);
  const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [repo, version] = tag.split(':') as [string, string];
  const progress = await docker.importImage(tar.stdout, { repo, tag: version });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(progress, (err) => (err ? reject(err) : resolve())));
  fs.rmSync(root, { recursive: true, force: true });
  return tag;
}

// Probes run inside a container with its own node binary; they print one word or a JSON line.
const TCP_PROBE = `const net = require('net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const t = setTimeout(() => { console.log('timeout'); process.exit(0); }, Number(ms));
s.on('connect', () => { console.log('open'); process.exit(0); });
s.on('error', (e) => { clearTimeout(t); console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code); process.exit(0); });`;

const API_PROBE = `const https = require('https');
const [url, auth] = process.argv.slice(1);
const headers = auth === 'token' ? { Authorization: 'Bearer ' + process.env.FLOTILLA_TOKEN } : {};
let said = false;
const say = (o) => { if (!said) { said = true; console.log(JSON.stringify(o)); } };
const req = https.get(url, { ca: process.env.FLOTILLA_CA, headers, timeout: 3000 }, (res) => {
  let body = ''; res.on('data', (d) => (body += d));
  res.on('end', () => { say({ status: res.statusCode, reason: (() => { try { return JSON.parse(body).reason; } catch { return undefined; } })() }); });
});
req.on('timeout', () => { say({ error: 'timeout' }); req.destroy(); });
req.on('error', (e) => say({ error: e.code || e.message }));`;

async function tcp(containerId: string, host: string, port: number, ms = 1500): Promise<string> {
  const r = await execIn(docker, containerId, ['node', '-e', TCP_PROBE, host, String(port), String(ms)]);
  return r.stdout.trim();
}

async function apiGet(containerId: string, urlPath: string, auth: 'token' | 'none' = 'token'): Promise<{ status?: number; reason?: string; error?: string }> {
  const r = await execIn(docker, containerId, ['sh', '-c', `exec node -e "$0" "$FLOTILLA_API_URL${urlPath}" ${auth}`, API_PROBE]);
  return JSON.parse(r.stdout.trim() || `{"error":${JSON.stringify(r.stderr)}}`);
}

async function catFile(containerId: string, file: string): Promise<string> {
  return (await execIn(docker, containerId, ['node', '-e', 'process.stdout.write(require("fs").readFileSync(process.argv[1], "utf8"))', file])).stdout;
}

async function iptablesRules(containerId: string): Promise<string> {
  return (await execIn(docker, containerId, ['iptables', '-S'])).stdout;
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('cluster manager on the real Docker engine', () => {
  const cluster = `it-${randomBytes(3).toString('hex')}`;
  let dir: string;
  let cp: ControlPlane;
  let image: string;
  let manager: ClusterManager;
  let options: ClusterManagerOptions;
  let layout: NetworkLayout;
  let apiPort: number;
  const podIds: string[] = [];
  /** Stands in for the API server restarted on another port (from the adoption test on). */
  let moved: ApiRelay | undefined;

  const makePod = async (node: string, name: string, server = false): Promise<string> => {
    const c = await docker.createContainer({
      name: `flotilla-test-${cluster}-${name}`,
      Image: image,
      Cmd: server ? ['node', '-e', "require('http').createServer((q, s) => s.end('pod')).listen(8080)"] : ['node', '-e', 'setInterval(() => {}, 1e9)'],
      Labels: { [LABEL.cluster]: cluster, [LABEL.node]: node, [LABEL.role]: 'pod', [LABEL.namespace]: 'default', [LABEL.pod]: name, [LABEL.podUid]: randomBytes(8).toString('hex') },
      HostConfig: { NetworkMode: layout.name, Init: true },
    });
    await c.start();
    podIds.push(c.id);
    return c.id;
  };
  const stateOf = async (id: string) => (await docker.getContainer(id).inspect()).State;
  const podIP = async (id: string) => (await docker.getContainer(id).inspect()).NetworkSettings.Networks[layout.name]!.IPAddress;

  beforeAll(async () => {
    image = await placeholderImage();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cluster-it-'));
    cp = await startControlPlane({ dataDir: path.join(dir, 'data'), port: 0 });
    apiPort = Number(new URL(cp.url).port);
    options = {
      docker,
      clusterName: cluster,
      dataDir: path.join(dir, 'data'),
      apiServer: { hostPort: apiPort, caCert: cp.caCert },
      nodeImage: image,
      // With a given image its own CMD runs, unless FLOTILLA_TEST_NODE_CMD (a JSON array) says otherwise.
      nodeCommand: process.env.FLOTILLA_TEST_NODE_IMAGE
        ? process.env.FLOTILLA_TEST_NODE_CMD
          ? (JSON.parse(process.env.FLOTILLA_TEST_NODE_CMD) as string[])
          : undefined
        : ['node', '/flotilla/kubelet.js'],
      tokenFor: (n) => cp.tokens.nodeToken(n),
    };
    manager = new ClusterManager(options);
  }, 120_000);

  afterAll(async () => {
    // Safety net: whatever a failed test left behind goes, by label.
    await manager?.deleteCluster().catch(() => {});
    await manager?.close();
    await moved?.close();
    await cp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('creates a cluster of 3 nodes on its own network, once', async () => {
    const t0 = performance.now();
    const nodes = await manager.createCluster(3);
    const ms = Math.round(performance.now() - t0);
    console.log(`createCluster(3): ${ms} ms (network + relay + 3 node containers started)`);
    expect(nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(nodes.every((n) => n.running)).toBe(true);
    layout = (await findClusterNetwork(docker, cluster))!;
    expect(layout.name).toBe(`flotilla.${cluster}`);
    expect(new Set(nodes.map((n) => n.ip)).size).toBe(3);
    for (const n of nodes) expect(cidrContains(layout.nodeRange, n.ip)).toBe(true);
    expect(manager.reachMode).toBe('relay');
    // The kubelet's port is published on loopback only (for engines whose host cannot reach node addresses).
    for (const n of nodes) expect(n.kubeletEndpoint).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });

    // Honest capacity: an equal share of what the engine has.
    const engine = await manager.engineResources();
    for (const n of nodes) {
      expect(n.capacity?.milliCpu).toBe(Math.floor((engine.cpus * 1000) / 3));
      expect(n.capacity!.memoryBytes * 3).toBeLessThanOrEqual(engine.memoryBytes);
      expect(n.capacity?.pods).toBe(110);
    }

    // Labels on the containers, the network and the volumes.
    const inspect = await docker.getContainer(nodes[0]!.containerId).inspect();
    expect(inspect.Config.Labels).toMatchObject({ [LABEL.cluster]: cluster, [LABEL.node]: 'node-1', [LABEL.role]: 'node' });
    expect(inspect.HostConfig.Privileged).toBe(false);
    expect(inspect.HostConfig.CapAdd).toEqual(expect.arrayContaining(['NET_ADMIN', 'SYS_ADMIN']));
    const vols = await docker.listVolumes({ filters: labelFilters({ [LABEL.cluster]: cluster }) });
    expect((vols.Volumes ?? []).map((v) => v.Labels[LABEL.node]).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const nets = await docker.listNetworks({ filters: labelFilters({ [LABEL.cluster]: cluster }) });
    expect(nets.map((n) => n.Name)).toEqual([layout.name]);

    // Asking again creates nothing.
    const again = await manager.createCluster(3);
    expect(again.map((n) => n.containerId)).toEqual(nodes.map((n) => n.containerId));
  }, 120_000);

  it('redoes a cluster network that a crash left half-made', async () => {
    const name = `${cluster}-half`;
    await docker.createNetwork({ Name: `flotilla.${name}`, Driver: 'bridge', Labels: { [LABEL.cluster]: name } });
    const m = new ClusterManager({ ...options, clusterName: name });
    try {
      const l = await m.ensureNetwork();
      const info = await docker.getNetwork(l.id).inspect();
      expect(info.IPAM?.Config?.[0]?.IPRange).toBe(l.podRange);
      expect(await docker.listNetworks({ filters: labelFilters({ [LABEL.cluster]: name }) })).toHaveLength(1);
    } finally {
      await m.deleteCluster();
      await m.close();
    }
  });

  it('gives nodes the API server at host.docker.internal, with a CA that verifies and a token that authenticates', async () => {
    const [n1] = await manager.listNodes();
    const hosts = await catFile(n1!.containerId, '/etc/hosts');
    expect(hosts).toMatch(new RegExp(`^${layout.gateway.replace(/\./g, '\\.')}\\s+host\\.docker\\.internal$`, 'm'));
    expect(await catFile(n1!.containerId, '/etc/flotilla/ca.crt')).toBe(cp.caCert);
    expect(await catFile(n1!.containerId, '/etc/flotilla/token')).toBe(cp.tokens.nodeToken('node-1'));
    // TLS to host.docker.internal verifies against the cluster CA; the node token is accepted.
    expect(await apiGet(n1!.containerId, '/api/v1/nodes/node-1')).toMatchObject({ status: 404, reason: 'NotFound' });
    expect(await apiGet(n1!.containerId, '/api/v1/nodes/node-1', 'none')).toMatchObject({ status: 401 });
  });

  it('stops and starts a node; a stopped node stops its pods and keeps its address', async () => {
    const before = await manager.getNode('node-2');
    const pod = await makePod('node-2', 'stop-me');
    const stopped = await manager.stopNode('node-2');
    expect(stopped.running).toBe(false);
    expect(stopped.state).toBe('exited');
    expect((await stateOf(pod)).Running).toBe(false);
    const started = await manager.startNode('node-2');
    expect(started.running).toBe(true);
    expect(started.ip).toBe(before.ip);
    expect((await docker.getContainer(started.containerId).inspect()).NetworkSettings.Networks[layout.name]!.IPAddress).toBe(before.ip);
  }, 60_000);

  it('kills a node: it stays down (no restart) until started', async () => {
    const pod = await makePod('node-3', 'kill-me');
    const killed = await manager.killNode('node-3');
    expect(killed.running).toBe(false);
    expect(killed.exitCode).toBe(137);
    expect((await stateOf(pod)).Running).toBe(false);
    // Docker decides at the exit whether its restart policy brings a container back: one it will
    // restart is 'restarting' from then on, one it leaves down is 'exited'.
    expect(await stateOf(killed.containerId)).toMatchObject({ Status: 'exited', Restarting: false, Running: false });
    expect((await manager.getNode('node-3')).running).toBe(false);
    expect((await manager.startNode('node-3')).running).toBe(true);
  }, 60_000);

  it('adds and removes a node, with its pods and volumes', async () => {
    const t0 = performance.now();
    const added = await manager.addNode(undefined, { cpu: '500m', memory: '1Gi', pods: 20 });
    console.log(`addNode: ${Math.round(performance.now() - t0)} ms`);
    expect(added).toMatchObject({ name: 'node-4', running: true, capacity: { cpu: '500m', memory: '1Gi', pods: 20 } });
    await expect(manager.addNode('node-4')).rejects.toMatchObject({ reason: 'AlreadyExists' });
    await expect(manager.addNode('Bad_Name')).rejects.toThrow(/^name: "Bad_Name" is not valid/);
    await expect(manager.addNode(undefined, { cpu: 64 })).rejects.toThrow(/^cpu: 64 is more than the Docker engine has/);
    expect((await manager.listNodes()).map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);

    const pod = await makePod('node-4', 'goes-with-node-4');
    await docker.createVolume({ Name: `flotilla-test-${cluster}-vol`, Labels: { [LABEL.cluster]: cluster, [LABEL.node]: 'node-4', [LABEL.role]: 'pod' } });
    await manager.removeNode('node-4');
    expect((await manager.listNodes()).map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    await expect(docker.getContainer(pod).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const left = await docker.listVolumes({ filters: labelFilters({ [LABEL.cluster]: cluster, [LABEL.node]: 'node-4' }) });
    expect(left.Volumes ?? []).toEqual([]);
    await expect(manager.removeNode('node-4')).rejects.toBeInstanceOf(ClusterError);
  }, 60_000);

  it('partitions a node from the API server and the other nodes while its pods keep running, and heals it', async () => {
    const [n1, n2] = await manager.listNodes();
    const pod = await makePod('node-1', 'web', true);
    const ip = await podIP(pod);
    expect(cidrContains(layout.podRange, ip)).toBe(true);

    expect(await tcp(n1!.containerId, layout.gateway, apiPort)).toBe('open');
    expect(await tcp(n1!.containerId, n2!.ip, 10250)).toBe('refused'); // reachable, nothing listening

    const t0 = performance.now();
    const p = await manager.partitionNode('node-1');
    console.log(`partitionNode: ${Math.round(performance.now() - t0)} ms`);
    expect(p.partitioned).toBe(true);
    expect(await tcp(n1!.containerId, layout.gateway, apiPort)).toBe('timeout');
    expect(await apiGet(n1!.containerId, '/api/v1/nodes/node-1')).toEqual({ error: 'timeout' });
    expect(await tcp(n1!.containerId, n2!.ip, 10250)).toBe('timeout');
    expect(await tcp(n2!.containerId, n1!.ip, 10250)).toBe('timeout');
    // The node still reaches its own pods (probes); the pod still reaches everything.
    expect(await tcp(n1!.containerId, ip, 8080)).toBe('open');
    expect((await stateOf(pod)).Running).toBe(true);
    expect(await tcp(pod, layout.gateway, apiPort)).toBe('open');
    expect(await tcp(n2!.containerId, ip, 8080)).toBe('open');

    // A restart of the node container loses the rules; the manager puts them back.
    await manager.stopNode('node-1', { pods: 'keep' });
    await manager.startNode('node-1');
    expect(await iptablesRules(n1!.containerId)).toContain('-A OUTPUT -j FLOTILLA-PARTITION-OUT');
    expect(await tcp(n1!.containerId, layout.gateway, apiPort)).toBe('timeout');
    expect((await stateOf(pod)).Running).toBe(true);

    const healed = await manager.healNode('node-1');
    expect(healed.partitioned).toBe(false);
    expect(await iptablesRules(n1!.containerId)).not.toContain('FLOTILLA-PARTITION');
    expect(await tcp(n1!.containerId, layout.gateway, apiPort)).toBe('open');
    expect(await apiGet(n1!.containerId, '/api/v1/nodes/node-1')).toMatchObject({ status: 404 });
    expect(await tcp(n2!.containerId, n1!.ip, 10250)).toBe('refused');
  }, 90_000);

  it('lets a node enter the network namespace of a pod started after it, through /host/proc', async () => {
    const [n1] = await manager.listNodes();
    const pod = await makePod('node-1', 'late');
    const { Pid } = await stateOf(pod);
    const r = await execIn(docker, n1!.containerId, [
      'nsenter',
      `--net=/host/proc/${Pid}/ns/net`,
      'node',
      '-e',
      'console.log(Object.values(require("os").networkInterfaces()).flat().find((a) => a.family === "IPv4" && !a.internal).address)',
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(await podIP(pod));
    const ipt = await execIn(docker, n1!.containerId, ['nsenter', `--net=/host/proc/${Pid}/ns/net`, 'iptables', '-t', 'nat', '-S', 'OUTPUT']);
    expect(ipt.exitCode).toBe(0);
  });

  it('re-adopts nodes and partitions after a restart of the control plane, never duplicating', async () => {
    await manager.partitionNode('node-3');
    const before = await manager.listNodes();
    const containersBefore = (await docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: cluster }) })).length;
    await manager.close(); // the old process goes away; its relay with it
    // Meanwhile the engine restarts node-3 (e.g. Docker restarted): its rules are gone.
    await docker.getContainer(before[2]!.containerId).restart({ t: 1 });
    expect(await iptablesRules(before[2]!.containerId)).not.toContain('FLOTILLA-PARTITION');

    // And the API server comes back on another port: the relay keeps the port the nodes know.
    moved = await ApiRelay.start('127.0.0.1', 0, '127.0.0.1', apiPort);
    manager = new ClusterManager({ ...options, apiServer: { ...options.apiServer, hostPort: moved.port } });
    const adopted = await manager.adopt();
    expect(manager.apiUrl).toBe(`https://host.docker.internal:${apiPort}`);
    expect(adopted.map((n) => [n.name, n.containerId, n.ip])).toEqual(before.map((n) => [n.name, n.containerId, n.ip]));
    expect(adopted.find((n) => n.name === 'node-3')?.partitioned).toBe(true);
    expect(await iptablesRules(before[2]!.containerId)).toContain('FLOTILLA-PARTITION-OUT');
    const again = await manager.createCluster(3);
    expect(again.map((n) => n.containerId)).toEqual(before.map((n) => n.containerId));
    expect((await docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: cluster }) })).length).toBe(containersBefore);
    // The new relay serves the nodes again.
    expect(await apiGet(before[0]!.containerId, '/api/v1/nodes/node-1')).toMatchObject({ status: 404 });
    await manager.healNode('node-3');
    expect(await apiGet(before[2]!.containerId, '/api/v1/nodes/node-3')).toMatchObject({ status: 404 });
  }, 60_000);

  it('finishes a node whose creation a crash interrupted (created, never started)', async () => {
    const [n1] = await manager.listNodes();
    const spec: NodeSpec = {
      cluster,
      node: 'node-4',
      image,
      command: options.nodeCommand,
      network: layout,
      ip: pickNodeAddress(layout, (await manager.listNodes()).map((n) => n.ip)),
      extraHosts: [`host.docker.internal:${layout.gateway}`],
      apiUrl: manager.apiUrl,
      caCert: cp.caCert,
      token: cp.tokens.nodeToken('node-4'),
      capacity: n1!.capacity!,
      dockerSocket: '/var/run/docker.sock',
    };
    const c = await createNodeContainer(docker, spec);
    expect((await manager.getNode('node-4')).state).toBe('created');
    const nodes = await manager.adopt();
    expect(nodes.map((n) => [n.name, n.running])).toEqual([
      ['node-1', true],
      ['node-2', true],
      ['node-3', true],
      ['node-4', true],
    ]);
    expect(nodes[3]!.containerId).toBe(c.id);
    expect(await apiGet(c.id, '/api/v1/nodes/node-4')).toMatchObject({ status: 404 });
  });

  it('deletes the cluster and leaves nothing with its label behind', async () => {
    const t0 = performance.now();
    const report = await manager.deleteCluster();
    console.log(`deleteCluster: ${Math.round(performance.now() - t0)} ms`, report);
    expect(report.networks).toBe(1);
    expect(report.containers).toBeGreaterThanOrEqual(3);
    const f = { filters: labelFilters({ [LABEL.cluster]: cluster }) };
    expect(await docker.listContainers({ all: true, ...f })).toEqual([]);
    expect((await docker.listVolumes(f)).Volumes ?? []).toEqual([]);
    expect(await docker.listNetworks(f)).toEqual([]);
    for (const id of podIds) await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await manager.listNodes()).toEqual([]);
  }, 60_000);
});
