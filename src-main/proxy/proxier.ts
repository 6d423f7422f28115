import type { ApiClient } from '../client/apiClient.js';
import { Informer } from '../client/informer.js';
import { systemClock, type Clock, type TimerHandle } from '../api/clock.js';
import { silentLogger, type Logger } from '../api/log.js';
import type { EndpointSlice, Service } from '../api/types.js';
import { chainsIn, ensureJumpsScript, jumpRules, renderRules, restoreInput, type RenderedRules } from './iptablesRules.js';
import type { NamespaceRunner } from './netns.js';
import type { Sandbox } from './podSandboxes.js';
import { buildServicePorts } from './servicePorts.js';
import { staleFlowCommands, udpFlows, type UdpFlows } from './conntrack.js';

// kube-proxy (iptables mode) for one Flotilla node. Pods are sibling containers on a flat Docker
// network, each in a network namespace of its own, so a packet to a ClusterIP never passes
// through the node's namespace: the rules go into every pod's namespace (nat OUTPUT -> DNAT to an
// endpoint, filter OUTPUT -> REJECT when there is none), and into the node's own for NodePorts
// and for processes on the node. Each sync renders the rules once and writes them to every
// namespace whose last written text differs, one iptables-restore each (kube's single atomic
// restore per sync). The kubelet calls programSandbox() between creating a pod's sandbox and
// starting its containers, so an app never runs in a namespace without Service rules.

export interface SandboxSource {
  list(): Promise<Sandbox[]>;
  netnsOf(id: string): Promise<string | undefined>;
}

export interface ProxierOptions {
  client: ApiClient;
  nodeName: string;
  sandboxes: SandboxSource;
  runner: NamespaceRunner;
  /** Program the node container's own namespace (NodePorts); false in tests that are not in a node. */
  programNode?: boolean;
  /** Coalesces bursts of changes into one sync (kube's minSyncPeriod; a second there, less here). */
  minSyncIntervalMs?: number;
  /** How often to look for sandboxes nobody announced (a kubelet restart) and re-check rules. */
  resyncIntervalMs?: number;
  /** Every this many resyncs, rewrite every namespace even if unchanged (rules flushed by hand). */
  forceEvery?: number;
  /** How long programSandbox waits for the first sync before giving up (the API may be down). */
  startWaitMs?: number;
  /** How many namespaces are programmed at once. */
  parallelism?: number;
  clock?: Clock;
  log?: Logger;
}

interface TargetState {
  /** Our nat chains present in the namespace (read once, then tracked). */
  chains?: Set<string>;
  lastInput?: string;
  hooked: boolean;
}

const NODE_TARGET = 'node';

export class Proxier {
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly targets = new Map<string, TargetState>();
  private rules: { pod: RenderedRules; node: RenderedRules; udp: UdpFlows } | undefined;
  /** The UDP flows the rules allowed at the last sync (for stale-flow clean-up). */
  private lastUdp: UdpFlows | undefined;
  private timer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private resyncs = 0;
  private pending = false;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private started: Promise<void> | undefined;
  private initialized = false;
  /** Number of completed syncs (tests and benchmarks wait on it). */
  syncCount = 0;

  constructor(private readonly o: ProxierOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = (o.log ?? silentLogger).with('kube-proxy');
    this.services = new Informer<Service>(o.client, 'services');
    this.slices = new Informer<EndpointSlice>(o.client, 'endpointslices.discovery.k8s.io');
    const changed = () => this.requestSync();
    for (const inf of [this.services, this.slices] as Informer<Service | EndpointSlice>[]) {
      inf.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    }
  }

  /** Lists and watches Services and EndpointSlices, then programs every namespace once. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await Promise.all([this.services.start(), this.slices.start()]);
      await this.enqueue(() => this.syncAll(false));
      this.initialized = true;
      if (!this.rules) this.requestSync(); // changed during the first sync
      this.scheduleResync();
    })();
    return this.started;
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.resyncTimer);
    this.services.stop();
    this.slices.stop();
    return this.chain;
  }

  /**
   * Programs one pod sandbox's namespace with the current rules; the kubelet awaits this before
   * it starts the pod's containers. Throws when the rules could not be written.
   */
  async programSandbox(id: string): Promise<void> {
    await this.startedWithin(this.o.startWaitMs ?? 10_000);
    await this.enqueue(async () => {
      const netns = await this.o.sandboxes.netnsOf(id);
      if (!netns) throw new Error(`sandbox ${id.slice(0, 12)} is not running`);
      const err = await this.program(id, netns, this.currentRules().pod, false);
      if (err) throw new Error(`programming Service rules in sandbox ${id.slice(0, 12)}: ${err}`);
    });
  }

  /** start(), but a caller waits no longer than ms for the first list of Services and slices. */
  private startedWithin(ms: number): Promise<void> {
    let timer: TimerHandle | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new Error(`kube-proxy has not listed Services and EndpointSlices after ${ms} ms`)), ms);
    });
    return Promise.race([this.start(), late]).finally(() => this.clock.clearTimeout(timer));
  }

  /** Runs op after every earlier sync or programming step (one writer at a time). */
  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch(() => {});
    return run;
  }

  private requestSync(): void {
    if (this.stopped) return;
    this.rules = undefined;
    if (!this.initialized || this.pending) return; // before the first sync, start() syncs

    this.pending = true;
    this.timer = this.clock.setTimeout(() => {
      this.pending = false;
      void this.enqueue(() => this.syncAll(false));
    }, this.o.minSyncIntervalMs ?? 20);
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      const force = ++this.resyncs % (this.o.forceEvery ?? 30) === 0;
      void this.enqueue(() => this.syncAll(force)).finally(() => this.scheduleResync());
    }, this.o.resyncIntervalMs ?? 10_000);
  }

  private currentRules(): { pod: RenderedRules; node: RenderedRules; udp: UdpFlows } {
    if (!this.rules) {
      const ports = buildServicePorts(this.services.list(), this.slices.list(), this.o.nodeName);
      this.rules = { pod: renderRules(ports, { nodePorts: false }), node: renderRules(ports, { nodePorts: true }), udp: udpFlows(ports) };
    }
    return this.rules;
  }

  private async syncAll(force: boolean): Promise<void> {
    if (this.stopped) return;
    const rules = this.currentRules();
    let sandboxes: Sandbox[];
    try {
      sandboxes = await this.o.sandboxes.list();
    } catch (err) {
      this.log.warn('listing pod sandboxes failed', { err });
      sandboxes = [];
    }
    const live = new Set([NODE_TARGET, ...sandboxes.map((s) => s.id)]);
    for (const id of this.targets.keys()) if (!live.has(id)) this.targets.delete(id);
    // After the new rules are in, flows the old ones allowed and the new ones do not are deleted.
    const stale = this.lastUdp ? staleFlowCommands(this.lastUdp, rules.udp).join('\n') : '';
    const jobs: (() => Promise<void>)[] = sandboxes.map((s) => async () => {
      const err = await this.program(s.id, s.netns, rules.pod, force, stale);
      if (err) this.log.warn('programming a pod namespace failed', { sandbox: s.id.slice(0, 12), err });
    });
    if (this.o.programNode !== false) {
      jobs.push(async () => {
        const err = await this.program(NODE_TARGET, null, rules.node, force, stale);
        if (err) this.log.warn('programming the node namespace failed', { err });
      });
    }
    await runLimited(jobs, this.o.parallelism ?? 4);
    this.lastUdp = rules.udp;
    this.syncCount++;
  }

  /** Writes the rules into one namespace unless it already has exactly them; an error message, or undefined. */
  private async program(id: string, netns: string | null, rules: RenderedRules, force: boolean, staleFlows = ''): Promise<string | undefined> {
    let state = this.targets.get(id);
    if (!state) this.targets.set(id, (state = { hooked: false }));
    if (!state.chains) {
      const saved = await this.o.runner.run(netns, 'iptables-save -t nat');
      if (saved.code !== 0) return saved.stderr.trim() || `iptables-save exited ${saved.code}`;
      state.chains = chainsIn(saved.stdout);
    }
    const input = restoreInput(rules, state.chains);
    if (!force && state.hooked && input === state.lastInput) {
      if (staleFlows) await this.o.runner.run(netns, staleFlows);
      return undefined;
    }
    const jumps = ensureJumpsScript(jumpRules({ nodePorts: netns === null }));
    // Each clean-up command ends in `|| true`: the script's status stays the restore's.
    const after = staleFlows ? ` && { ${staleFlows.split('\n').join('; ')}; }` : '';
    const r = await this.o.runner.run(netns, `iptables-restore --noflush -w 5 && { ${jumps.split('\n').join('; ')}; }${after}`, input);
    if (r.code !== 0) {
      // What is in the namespace is unknown now: read it again next time.
      this.targets.delete(id);
      return r.stderr.trim() || `iptables-restore exited ${r.code}`;
    }
    state.chains = new Set(rules.natChains);
    state.lastInput = input;
    state.hooked = true;
    return undefined;
  }
}

async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
