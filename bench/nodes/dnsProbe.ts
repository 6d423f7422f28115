import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import type { Client } from '../lib/client.js';
import { sleep } from '../lib/stats.js';
import { nowMs } from './watch.js';

// When cluster DNS first answers, for "flotilla up -> 3 nodes Ready and DNS answering" (issue 9):
// polls kube-dns's EndpointSlices and asks every ready endpoint (a coredns pod, reachable from
// this Linux host on the cluster's Docker network) for kubernetes.default.svc.cluster.local; the
// first A answer is the moment. A pod reaches the same servers through kube-proxy's rules for
// 10.96.0.10, which its sandbox has before its containers start.

const SLICES = '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkube-dns';
const NAME = 'kubernetes.default.svc.cluster.local';

function ask(ip: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('error', () => done(false));
    sock.on('message', (msg) => {
      try {
        const r = dnsPacket.decode(msg);
        done(r.id === id && ((r.flags ?? 0) & 0xf) === 0 && (r.answers ?? []).some((a) => a.type === 'A'));
      } catch {
        done(false);
      }
    });
    sock.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: NAME }] }), 53, ip);
  });
}

/** Resolves with the time (nowMs) of the first answer, or undefined at the deadline (nowMs). */
export async function firstDnsAnswer(client: Client, deadline: number, stopped: () => boolean): Promise<number | undefined> {
  while (nowMs() < deadline && !stopped()) {
    try {
      const r = await client.request('GET', SLICES);
      if (r.status === 200) {
        const slices = JSON.parse(r.body) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] };
        const ips = slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses));
        const answers = await Promise.all(ips.map((ip) => ask(ip, 200)));
        if (answers.some(Boolean)) return nowMs();
      }
    } catch {
      /* the API server is starting */
    }
    await sleep(20);
  }
  return undefined;
}
