import type { FuzzCase } from './common.js';
import { prototypeKeys, restorePrototypes, type CrashWatch } from './crashWatch.js';
import { judge, type Violation } from './oracle.js';
import { sendRaw, type RawResponse, type Target } from './rawHttp.js';
import type { Recorder } from './recorder.js';

// Runs one fuzz case and checks everything that must hold after it: the answer itself (oracle.ts),
// no crash, the server still ready, a dry run wrote nothing (the store's resourceVersion did not
// move), the objects that existed before fuzzing are unchanged, no prototype was polluted.

export interface RunContext {
  target: Target;
  recorder: Recorder;
  crashes: CrashWatch;
  slowMs: number;
  /** The readiness probe (/readyz, the kubelet's /healthz). */
  ready(): Promise<RawResponse>;
  /** The store's current resourceVersion (the API server only). */
  rv?(): number;
  /** JSON of the objects the fuzzer must never change, by key (the API server only). */
  sentinels?(): Map<string, string | undefined>;
}

/** How long a streamed 200 (a watch) is read before the client moves on. */
const STREAM_READ_MS = 300;
/** How long the server may take to become ready again after a failed probe before the run stops. */
const RECOVERY_MS = 60_000;

export class Runner {
  private baseline: Map<string, string | undefined> | undefined;
  private readonly protoKeys = prototypeKeys();
  private readonly proto = this.protoKeys.join('\n');

  constructor(private readonly ctx: RunContext) {
    this.baseline = ctx.sentinels?.();
  }

  private async send(c: FuzzCase, req: FuzzCase['request']): Promise<RawResponse> {
    return sendRaw(this.ctx.target, req, { deadlineMs: this.ctx.slowMs + 1000, streamCutMs: STREAM_READ_MS });
  }

  private fail(c: FuzzCase, r: RawResponse | undefined, v: Violation): void {
    this.ctx.recorder.fail(c, r, v);
  }

  async run(c: FuzzCase): Promise<void> {
    const { recorder } = this.ctx;
    if (c.setup) {
      const s = await this.send(c, c.setup);
      recorder.count('setup', s.status);
      // The setup is a valid create: judged on its own (not with the case's expectations).
      const setupCase: FuzzCase = { category: c.category, notes: ['the valid create before a case'], request: c.setup, bodyDesc: c.setup.body?.toString('utf8'), allow503: false, mayWriteSentinels: false };
      for (const v of judge(setupCase, s, this.ctx.slowMs)) this.fail(setupCase, s, v);
    }
    const rvBefore = this.ctx.rv?.();
    const r = await this.send(c, c.request);
    recorder.count(c.category, r.status);
    if (process.env.FLOTILLA_FUZZ_TRACE) {
      const what = c.request.raw ? JSON.stringify(c.request.raw.toString('latin1').split('\r\n')[0]) : `${c.request.method} ${c.request.target.slice(0, 160)}`;
      console.log(`${c.category} ${r.status || r.outcome} ${Math.round(r.totalMs)}ms ${recorder.redact(what)} | ${recorder.redact(c.notes.join('; ')).slice(0, 200)} | ${r.body.toString('utf8').slice(0, 160)}`);
    }
    for (const v of judge(c, r, this.ctx.slowMs)) this.fail(c, r, v);

    // The probe also gives an asynchronous crash (an unhandled rejection) time to surface.
    const p = await this.ctx.ready();
    recorder.readyProbes++;
    if (p.status !== 200) {
      this.fail(c, r, { property: 'not-ready', detail: `the readiness probe after this request answered ${p.status || p.outcome}${p.error ? ` (${p.error})` : ''}` });
      await this.recover();
    }
    for (const e of this.ctx.crashes.take()) this.fail(c, r, { property: 'crash', detail: `uncaught in the server: ${e}` });

    if (this.ctx.rv && rvBefore !== undefined) {
      const rvAfter = this.ctx.rv();
      if (c.noWrite && rvAfter !== rvBefore) this.fail(c, r, { property: 'wrote-when-kube-would-not', detail: `the store's resourceVersion moved from ${rvBefore} to ${rvAfter} on a request Kubernetes persists nothing for: ${c.noWrite}` });
    }
    if (this.ctx.sentinels && this.baseline) {
      const now = this.ctx.sentinels();
      for (const [k, before] of c.mayWriteSentinels ? [] : this.baseline) {
        const after = now.get(k);
        if (after !== before) this.fail(c, r, { property: 'sentinel-changed', detail: `${k}, created before fuzzing and never addressed by name, ${after === undefined ? 'is gone' : `changed: ${after.slice(0, 300)}`}` });
      }
      // Keep checking from the new state: after a legitimate write, or a defect (a second defect
      // is a second report).
      this.baseline = now;
    }
    const proto = prototypeKeys().join('\n');
    if (proto !== this.proto) {
      const added = proto.split('\n').filter((k) => !this.protoKeys.includes(k));
      this.fail(c, r, { property: 'prototype-polluted', detail: `the request added ${added.join(', ')} (every object in the server process now has it)` });
      restorePrototypes(this.protoKeys);
    }
  }

  private async recover(): Promise<void> {
    const until = Date.now() + RECOVERY_MS;
    while (Date.now() < until) {
      if ((await this.ctx.ready()).status === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the server did not become ready again within ${RECOVERY_MS / 1000} s; stopping the run\n${this.ctx.recorder.report('partial report')}`);
  }
}
