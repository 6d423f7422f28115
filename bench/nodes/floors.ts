import http from 'node:http';
import type Docker from 'dockerode';
import { nowMs } from './watch.js';
import { sleep } from '../lib/stats.js';

// The raw-Docker floors of bench:nodes: the same containers Flotilla ends up running, made
// directly with dockerode by this process, with no control plane and no kubelet. Every object
// carries the label flotilla.dev/cluster=<floor name> (a name of its own, never the benchmark
// cluster's, so the cluster manager can never mistake a floor network for the cluster's), so a
// ClusterManager.deleteCluster() of that name removes whatever a failed run left.

const CLUSTER_LABEL = 'flotilla.dev/cluster';

export interface NodeStartFloor {
  variant: string;
  command: string[];
  /** Network create (no IPAM settings: Docker picks the subnet) to the last container having run its command. */
  totalMs: number;
  networkMs: number;
  containers: { createMs: number; startMs: number; exitedMs: number; exitCode: number }[];
}

/**
 * Floor of "3 nodes up": a fresh bridge network, then `count` containers of the node image
 * created and started in parallel, each running `command` to completion (waited with
 * condition next-exit, attached before the start). Times are from the network create call.
 */
export async function floorNodeStart(docker: Docker, o: { image: string; floorName: string; tag: string; variant: string; command: string[]; env?: string[]; count: number }): Promise<NodeStartFloor> {
  const labels = { [CLUSTER_LABEL]: o.floorName };
  const netName = `flotilla.${o.floorName}.${o.tag}`;
  const containers: Docker.Container[] = [];
  let net: Docker.Network | undefined;
  try {
    const t0 = nowMs();
    net = await docker.createNetwork({ Name: netName, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    const tNet = nowMs();
    const per = await Promise.all(
      Array.from({ length: o.count }, async (_, i) => {
        const c = await docker.createContainer({
          name: `${netName}.${i}`,
          Image: o.image,
          Entrypoint: o.command,
          Cmd: [],
          Env: o.env ?? [],
          Labels: labels,
          HostConfig: { NetworkMode: netName },
        });
        containers.push(c);
        const tCreate = nowMs();
        const waited = c.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
        await c.start();
        const tStart = nowMs();
        const r = await waited;
        const tExit = nowMs();
        return { createMs: tCreate - t0, startMs: tStart - t0, exitedMs: tExit - t0, exitCode: r.StatusCode };
      }),
    );
    return { variant: o.variant, command: o.command, totalMs: Math.max(...per.map((p) => p.exitedMs)), networkMs: tNet - t0, containers: per };
  } finally {
    await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => {})));
    await net?.remove().catch(() => {});
  }
}

export interface PodFloorSample {
  /** Sandbox create call to the app container started (start call returned). */
  startedMs: number;
  /** ... to the app answering HTTP (when asked). */
  answeredMs?: number;
  sandboxCreateMs: number;
  sandboxStartMs: number;
  inspectMs: number;
  appCreateMs: number;
  appStartMs: number;
  ids: string[];
}

/**
 * Floor of one pod: a sandbox (the pause image on the network, IPC shareable, as the kubelet
 * makes it), its inspect for the address, an app container joined to its network and IPC
 * namespaces, started; optionally probed over HTTP from this process until it answers 200, with
 * the readiness probe's own period: one probe every `periodMs` from the start of the floor pod
 * (as the kubelet's prober ticks from when it takes the pod, not from the container's start),
 * each with the probe's timeout.
 */
export async function floorPod(
  docker: Docker,
  o: { network: string; pauseImage: string; appImage: string; name: string; floorName: string; http?: { port: number; path: string; periodMs: number; timeoutMs: number }; created?: (id: string) => void },
): Promise<PodFloorSample> {
  const labels = { [CLUSTER_LABEL]: o.floorName };
  const t0 = nowMs();
  const sb = await docker.createContainer({
    name: `${o.name}-sandbox`,
    Image: o.pauseImage,
    Labels: labels,
    HostConfig: { NetworkMode: o.network, IpcMode: 'shareable', RestartPolicy: { Name: 'no' } },
    NetworkingConfig: { EndpointsConfig: { [o.network]: {} } },
  });
  o.created?.(sb.id);
  const t1 = nowMs();
  await sb.start();
  const t2 = nowMs();
  const info = await sb.inspect();
  const ip = (info.NetworkSettings.Networks as Record<string, { IPAddress?: string }>)[o.network]?.IPAddress;
  const t3 = nowMs();
  const app = await docker.createContainer({
    name: `${o.name}-app`,
    Image: o.appImage,
    Labels: labels,
    HostConfig: { NetworkMode: `container:${sb.id}`, IpcMode: `container:${sb.id}`, RestartPolicy: { Name: 'no' } },
  });
  o.created?.(app.id);
  const t4 = nowMs();
  await app.start();
  const t5 = nowMs();
  const sample: PodFloorSample = {
    startedMs: t5 - t0,
    sandboxCreateMs: t1 - t0,
    sandboxStartMs: t2 - t1,
    inspectMs: t3 - t2,
    appCreateMs: t4 - t3,
    appStartMs: t5 - t4,
    ids: [sb.id, app.id],
  };
  if (o.http) {
    if (!ip) throw new Error(`floor sandbox ${o.name} has no address on ${o.network}`);
    const deadline = t0 + 30_000;
    const period = o.http.periodMs;
    // Ticks at t0 + k x period; a tick before the app started finds nothing to probe (the
    // kubelet skips a container that is not running), so the first probe is the first tick
    // after the start; ticks missed while a probe was out are skipped.
    const nextTick = async () => {
      await sleep(Math.ceil((nowMs() - t0) / period) * period + t0 - nowMs());
    };
    for (;;) {
      await nextTick();
      if (await httpOk(ip, o.http.port, o.http.path, o.http.timeoutMs)) break;
      if (nowMs() > deadline) throw new Error(`floor app ${o.name} did not answer on ${ip}:${o.http.port} within 30 s`);
      await sleep(1); // past this tick
    }
    sample.answeredMs = nowMs() - t0;
  }
  return sample;
}

function httpOk(host: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Runs fn(i) for i < total with `concurrency` workers; returns results in index order. */
export async function bounded<T>(total: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** Force-removes containers (bounded concurrency), ignoring ones already gone. */
export async function removeContainers(docker: Docker, ids: string[], concurrency = 8): Promise<void> {
  await bounded(ids.length, concurrency, (i) => docker.getContainer(ids[i]!).remove({ force: true }).catch(() => undefined));
}

/** Long-running containers of the node image for the memory floor. */
export async function startIdleContainer(docker: Docker, o: { image: string; name: string; floorName: string; network: string; command: string[]; env?: string[] }): Promise<Docker.Container> {
  const c = await docker.createContainer({
    name: o.name,
    Image: o.image,
    Entrypoint: o.command,
    Cmd: [],
    Env: o.env ?? [],
    Labels: { [CLUSTER_LABEL]: o.floorName },
    HostConfig: { NetworkMode: o.network, Init: true },
  });
  await c.start();
  return c;
}
