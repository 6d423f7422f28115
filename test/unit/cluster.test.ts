import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseReachMode, extraHostsFor, isLocalAddress } from '../../src-main/cluster/apiRelay.js';
import { indexNodes, nodeFromContainer } from '../../src-main/cluster/adopt.js';
import { fairShare, resolveCapacity } from '../../src-main/cluster/capacity.js';
import { LABEL, nodeContainerName, validateDnsLabel } from '../../src-main/cluster/labels.js';
import { cidrContains, pickNodeAddress, splitSubnet, type NetworkLayout } from '../../src-main/cluster/network.js';
import { nodeConfigArchive, nodeCreateOptions, type NodeSpec } from '../../src-main/cluster/nodeContainer.js';
import { HEAL_SCRIPT, partitionScript } from '../../src-main/cluster/partition.js';
import { ClusterState } from '../../src-main/cluster/state.js';
import type Docker from 'dockerode';

const GiB = 1024 ** 3;
const engine = { cpus: 2, memoryBytes: 24 * GiB };

describe('cluster capacity', () => {
  it('defaults to an equal share of the engine', () => {
    const c = resolveCapacity(undefined, engine, 3);
    expect(c.milliCpu).toBe(666);
    expect(c.cpu).toBe('666m');
    expect(c.memoryBytes).toBe(8 * GiB);
    expect(c.memory).toBe('8Gi');
    expect(c.pods).toBe(110);
    expect(fairShare(engine, 1)).toEqual({ milliCpu: 2000, memoryBytes: 24 * GiB });
  });

  it('accepts numbers and quantities and canonicalises them', () => {
    expect(resolveCapacity({ cpu: 1.5, memory: '4Gi', pods: 20 }, engine, 3)).toMatchObject({ cpu: '1500m', memory: '4Gi', pods: 20, milliCpu: 1500 });
    expect(resolveCapacity({ cpu: '2', memory: 512 * 1024 * 1024 }, engine, 3)).toMatchObject({ cpu: '2', memory: '512Mi' });
  });

  it('refuses a node that claims more than the engine has, naming the field', () => {
    expect(() => resolveCapacity({ cpu: 3 }, engine, 1)).toThrow(/^cpu: 3 is more than the Docker engine has \(2 CPUs\)/);
    expect(() => resolveCapacity({ memory: '25Gi' }, engine, 1)).toThrow(/^memory: 25Gi is more than/);
    expect(() => resolveCapacity({ memory: '1Mi' }, engine, 1)).toThrow(/^memory: must be at least 64Mi/);
    expect(() => resolveCapacity({ cpu: 'lots' }, engine, 1)).toThrow(/^cpu: "lots" is not a quantity/);
    expect(() => resolveCapacity({ pods: 0 }, engine, 1)).toThrow(/^pods:/);
  });
});

describe('cluster network layout', () => {
  it('puts nodes in the first /24 and pods in the upper half', () => {
    expect(splitSubnet('172.18.0.0/16')).toEqual({ nodeRange: '172.18.0.0/24', podRange: '172.18.128.0/17' });
    expect(splitSubnet('192.168.48.0/20')).toEqual({ nodeRange: '192.168.48.0/24', podRange: '192.168.56.0/21' });
    expect(() => splitSubnet('10.0.0.0/24')).toThrow(/needs \/23 or larger/);
  });

  it('picks the lowest free node address, never the gateway', () => {
    const layout: NetworkLayout = { id: 'x', name: 'n', subnet: '172.18.0.0/16', gateway: '172.18.0.1', ...splitSubnet('172.18.0.0/16') };
    expect(pickNodeAddress(layout, [])).toBe('172.18.0.2');
    expect(pickNodeAddress(layout, ['172.18.0.2', '172.18.0.3'])).toBe('172.18.0.4');
    expect(cidrContains(layout.nodeRange, '172.18.0.200')).toBe(true);
    expect(cidrContains(layout.nodeRange, '172.18.128.5')).toBe(false);
    expect(cidrContains(layout.podRange, '172.18.128.5')).toBe(true);
  });

  it('knows which addresses are this machine\'s', async () => {
    expect(await isLocalAddress('127.0.0.1')).toBe(true);
    expect(await isLocalAddress('203.0.113.9')).toBe(false);
  });

  it('maps host.docker.internal to the gateway unless the engine is remote', () => {
    expect(chooseReachMode(false, '127.0.0.1')).toBe('host-gateway');
    expect(chooseReachMode(true, '127.0.0.1')).toBe('relay');
    expect(chooseReachMode(true, '0.0.0.0')).toBe('direct');
    expect(chooseReachMode(true, undefined, 'host-gateway')).toBe('host-gateway');
    expect(extraHostsFor('relay', '172.18.0.1')).toEqual(['host.docker.internal:172.18.0.1']);
    expect(extraHostsFor('host-gateway', '172.18.0.1')).toEqual(['host.docker.internal:host-gateway']);
  });
});

describe('cluster names and labels', () => {
  it('validates names and keeps container names unambiguous', () => {
    expect(() => validateDnsLabel('name', 'Node_1')).toThrow(/^name: "Node_1" is not valid/);
    expect(() => validateDnsLabel('name', 'node-1')).not.toThrow();
    expect(nodeContainerName('a-b', 'c')).not.toBe(nodeContainerName('a', 'b-c'));
  });
});

const layout: NetworkLayout = { id: 'net', name: 'flotilla.t', subnet: '172.18.0.0/16', gateway: '172.18.0.1', nodeRange: '172.18.0.0/24', podRange: '172.18.128.0/17' };
const spec: NodeSpec = {
  cluster: 't',
  node: 'node-1',
  image: 'flotilla/node:x',
  network: layout,
  ip: '172.18.0.2',
  extraHosts: ['host.docker.internal:172.18.0.1'],
  apiUrl: 'https://host.docker.internal:6443',
  caCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  token: 'secret-token',
  capacity: resolveCapacity({ cpu: 1, memory: '2Gi', pods: 50 }, engine, 1),
  dockerSocket: '/var/run/docker.sock',
};

describe('node container', () => {
  it('asks for capabilities, never privileged, with the socket, netns and labels', () => {
    const o = nodeCreateOptions(spec);
    expect(o.name).toBe('flotilla.t.node-1');
    expect(o.Cmd).toBeUndefined();
    expect(o.HostConfig?.Privileged).toBeUndefined();
    expect(o.HostConfig?.CapAdd).toEqual(['NET_ADMIN', 'SYS_ADMIN']);
    expect(o.HostConfig?.SecurityOpt).toEqual(['seccomp=unconfined', 'apparmor=unconfined']);
    expect(o.HostConfig?.Binds).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(o.HostConfig?.Binds).toContain('/var/run/docker/netns:/var/run/docker/netns:ro');
    expect(o.HostConfig?.ExtraHosts).toEqual(['host.docker.internal:172.18.0.1']);
    expect(o.Labels).toMatchObject({ [LABEL.cluster]: 't', [LABEL.node]: 'node-1', [LABEL.role]: 'node', [LABEL.capacityCpu]: '1', [LABEL.capacityMemory]: '2Gi' });
    expect(o.NetworkingConfig?.EndpointsConfig?.['flotilla.t']?.IPAMConfig?.IPv4Address).toBe('172.18.0.2');
    const env = Object.fromEntries((o.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(env).toMatchObject({
      FLOTILLA_API_URL: 'https://host.docker.internal:6443',
      FLOTILLA_NODE_NAME: 'node-1',
      FLOTILLA_TOKEN: 'secret-token',
      FLOTILLA_CA: spec.caCert,
      FLOTILLA_NODE_CPU: '1',
      FLOTILLA_NODE_MEMORY: '2Gi',
      FLOTILLA_NODE_PODS: '50',
      FLOTILLA_NETWORK: 'flotilla.t',
    });
  });

  it('packs CA and token into a tar that tar(1) reads back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-tar-'));
    fs.writeFileSync(path.join(dir, 'a.tar'), nodeConfigArchive(spec));
    execFileSync('tar', ['-xf', 'a.tar'], { cwd: dir });
    expect(fs.readFileSync(path.join(dir, 'etc/flotilla/ca.crt'), 'utf8')).toBe(spec.caCert);
    expect(fs.readFileSync(path.join(dir, 'etc/flotilla/token'), 'utf8')).toBe('secret-token');
    expect(fs.statSync(path.join(dir, 'etc/flotilla/token')).mode & 0o777).toBe(0o600);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('partition rules', () => {
  it('drops the node range and the outside, keeps loopback and pods, and heals completely', () => {
    const s = partitionScript(layout);
    expect(s).toContain('-A FLOTILLA-PARTITION-OUT -o lo -j RETURN');
    expect(s).toContain('-A FLOTILLA-PARTITION-OUT -d 172.18.0.0/24 -j DROP');
    expect(s).toContain('-A FLOTILLA-PARTITION-OUT ! -d 172.18.0.0/16 -j DROP');
    expect(s).toContain('-A FLOTILLA-PARTITION-IN -s 172.18.0.0/24 -j DROP');
    expect(s).toContain('iptables -w -I OUTPUT 1 -j FLOTILLA-PARTITION-OUT');
    expect(HEAL_SCRIPT).toContain('iptables -w -X FLOTILLA-PARTITION-OUT');
  });

  it('keeps the partition intent across restarts of the manager', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-state-')), 'cluster-t.json');
    const a = new ClusterState(file);
    a.setPartitioned('node-2', true);
    expect(new ClusterState(file).isPartitioned('node-2')).toBe(true);
    a.setPartitioned('node-2', false);
    expect(new ClusterState(file).isPartitioned('node-2')).toBe(false);
    a.clear();
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('adoption', () => {
  const info = (name: string, id: string, created: number, state = 'running', status = 'Up 1 second'): Docker.ContainerInfo =>
    ({
      Id: id,
      Names: [`/flotilla.t.${name}`],
      Image: 'img',
      ImageID: 'sha',
      Command: '',
      Created: created,
      Ports: [],
      Labels: { [LABEL.cluster]: 't', [LABEL.node]: name, [LABEL.role]: 'node', [LABEL.nodeIP]: '172.18.0.2', [LABEL.capacityCpu]: '500m', [LABEL.capacityMemory]: '1Gi', [LABEL.capacityPods]: '110' },
      State: state,
      Status: status,
      HostConfig: { NetworkMode: 'flotilla.t' },
      NetworkSettings: { Networks: {} },
      Mounts: [],
    }) as Docker.ContainerInfo;

  it('reads a node back from its labels', () => {
    const n = nodeFromContainer(info('node-1', 'abc', 1000, 'exited', 'Exited (137) 3 seconds ago'), () => true);
    expect(n).toMatchObject({ name: 'node-1', containerName: 'flotilla.t.node-1', state: 'exited', running: false, exitCode: 137, ip: '172.18.0.2', partitioned: true });
    expect(n.capacity).toMatchObject({ cpu: '500m', milliCpu: 500, memoryBytes: GiB, pods: 110 });
  });

  it('keeps the oldest container of a node and reports the others as duplicates', () => {
    const { byName, duplicates } = indexNodes([info('node-1', 'new', 2000), info('node-1', 'old', 1000), info('node-2', 'b', 1500)]);
    expect(byName.get('node-1')?.Id).toBe('old');
    expect(duplicates.map((d) => d.Id)).toEqual(['new']);
  });
});
