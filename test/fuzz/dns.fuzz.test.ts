// Fuzzing of the cluster DNS server over its real sockets: random and mutated messages over UDP,
// and over TCP both framed and as raw byte streams. After every case the server has not crashed
// (no uncaught exception or unhandled rejection), a valid query still gets its right answer over
// UDP and TCP within the freeze bound, and whatever the server sent back for the hostile message
// is itself a well-formed response carrying the message's ID.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src-main/api/log.js';
import { DnsCache } from '../../src-main/dns/cache.js';
import { ClusterState, toDnsEndpoints, toDnsService } from '../../src-main/dns/clusterState.js';
import { Forwarder } from '../../src-main/dns/forwarder.js';
import { Pipeline } from '../../src-main/dns/pipeline.js';
import { KubeResolver } from '../../src-main/dns/resolver.js';
import { DnsServer } from '../../src-main/dns/server.js';
import { decodeMessage } from '../../src-main/dns/wire.js';
import { StubUpstream, askTcp, askUdp, datas, framed, tcpExchange, udpExchange } from '../helpers/dns.js';
import { CrashWatch } from './lib/crashWatch.js';
import { hostileMessage } from './lib/dnsCases.js';
import { Budget, RUNS, SEED, SLOW_MS, TEST_TIMEOUT_MS, fcParams } from './lib/settings.js';

let server: DnsServer;
let stub: StubUpstream;
const crashes = new CrashWatch();
const failures: string[] = [];

async function healthy(note: string): Promise<void> {
  const problems: string[] = [...crashes.take().map((c) => `crash: ${c}`)];
  const started = Date.now();
  try {
    const u = await askUdp(server.port, 'web.default.svc.cluster.local', 'A');
    const t = await askTcp(server.port, 'web.default.svc.cluster.local', 'A');
    if (datas(u.answers).join() !== '10.96.0.5' || datas(t.answers).join() !== '10.96.0.5') problems.push('wrong answer to the probe');
  } catch (e) {
    problems.push(`probe failed: ${String(e)}`);
  }
  if (Date.now() - started > SLOW_MS) problems.push(`probe took ${Date.now() - started} ms`);
  if (problems.length) failures.push(`${note}: ${problems.join('; ')}`);
}

/** The server's reply, if any, must be a response with the message's ID that decodes. */
function checkReply(sent: Buffer, reply: Buffer | undefined, note: string): void {
  if (!reply) return;
  try {
    const m = decodeMessage(reply);
    if ((m.flags & 0x8000) === 0) failures.push(`${note}: reply without QR`);
    if (sent.length >= 2 && m.id !== sent.readUInt16BE(0)) failures.push(`${note}: reply with another ID`);
  } catch (e) {
    failures.push(`${note}: unreadable reply (${String(e)})`);
  }
}

/** What the server says to raw bytes on UDP, or on a new TCP connection (nothing within 80 ms is nothing). */
const sendUdp = (bytes: Buffer) => udpExchange(server.port, bytes, 80);
const sendTcp = (bytes: Buffer) => tcpExchange(server.port, bytes, Number.POSITIVE_INFINITY, 80);

describe('DNS server fuzzing', () => {
  beforeAll(async () => {
    stub = new StubUpstream();
    await stub.start();
    const state = new ClusterState();
    state.upsertNamespace('default');
    state.upsertService(toDnsService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } }));
    state.upsertService(toDnsService({ metadata: { name: 'hl', namespace: 'default' }, spec: { clusterIP: 'None' } }));
    state.upsertEndpoints(
      toDnsEndpoints({
        metadata: { name: 'hl-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'hl' } },
        addressType: 'IPv4',
        endpoints: Array.from({ length: 50 }, (_, i) => ({ addresses: [`10.244.0.${i + 1}`] })),
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      }),
    );
    state.synced = true;
    const pipeline = new Pipeline({
      resolver: new KubeResolver(state),
      forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: stub.port }], timeoutMs: 500, attemptTimeoutMs: 250 }),
      cache: new DnsCache(),
      log: silentLogger,
    });
    server = new DnsServer({ host: '127.0.0.1', port: 0, pipeline, log: silentLogger });
    await server.start();
    crashes.start();
  }, 60_000);

  afterAll(async () => {
    crashes.stop();
    console.log(`dns fuzz: seed ${SEED}, ${RUNS} cases per property, ${failures.length} failures`);
    await server?.stop();
    await stub?.stop();
  });

  it('survives hostile UDP datagrams', async () => {
    const budget = new Budget();
    await fc.assert(
      fc.asyncProperty(hostileMessage, async ({ bytes, note }) => {
        if (!budget.take()) return;
        checkReply(bytes, await sendUdp(bytes), `udp ${note} ${bytes.toString('hex')}`);
        await healthy(`udp ${note}`);
      }),
      fcParams(),
    );
    expect(failures).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('survives hostile TCP messages and streams', async () => {
    const budget = new Budget();
    await fc.assert(
      fc.asyncProperty(hostileMessage, fc.boolean(), async ({ bytes, note }, raw) => {
        if (!budget.take()) return;
        const replies = await sendTcp(raw ? bytes : framed(bytes));
        if (!raw) for (const r of replies) checkReply(bytes, r, `tcp ${note} ${bytes.toString('hex')}`);
        await healthy(`tcp${raw ? ' raw' : ''} ${note}`);
      }),
      fcParams(),
    );
    expect(failures).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
