import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from '../api/log.js';
import type { EndpointSlice, Ingress, IngressClass, KubeObject, Secret, Service } from '../api/types.js';
import type { ApiClient } from '../client/apiClient.js';
import { EventRecorder } from '../client/eventRecorder.js';
import { InformerFactory, trimManagedFields, type Informer } from '../client/informer.js';
import { tlsPairFromSecret, type TlsPair } from './certificates.js';
import { ourClasses, serves } from './classes.js';
import { buildModel, type IngressModel } from './model.js';
import { CONFIG_HASH_PATH, configHashOf, renderNginxConfig, type RenderSettings } from './nginxConfig.js';
import type { NginxRunner } from './nginxProcess.js';

// The ingress controller's loop (ingress-nginx's controller, without its Lua balancer): informers
// on Ingresses, IngressClasses, Services, EndpointSlices and Secrets; any change schedules one
// sync (changes arriving together are coalesced), which builds the model, renders nginx.conf and,
// only when the text differs from what nginx runs, tests it with `nginx -t` and reloads. A
// configuration nginx refuses is never loaded: the running one stays. It also sets each served
// Ingress's status.loadBalancer to the address the desktop reaches it at, and records events for
// what cannot be served (a missing Service, a bad TLS Secret).

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface IngressControllerOptions {
  client: ApiClient;
  nginx: NginxRunner;
  log: Logger;
  /** Working folder: nginx.conf, certificates, temp paths. */
  dir: string;
  httpPort: number;
  httpsPort: number;
  publicHttpPort: number;
  publicHttpsPort: number;
  /** What status.loadBalancer.ingress says (the user's loopback). */
  statusAddress: string;
  /** namespace/name of the Secret served to TLS clients of hosts without their own. */
  defaultCertificateSecret?: string;
  controllerName?: string;
  /** The pod this runs in, for events about reloads (POD_NAMESPACE/POD_NAME). */
  pod?: { namespace: string; name: string; uid?: string };
  /** Coalescing window of syncs (ms). */
  coalesceMs?: number;
  workerProcesses?: number | 'auto';
  /** nginx's loopback-only status port (the configuration hash it runs). */
  statusPort?: number;
}

export interface IngressControllerStats {
  reloads: number;
  failedReloads: number;
  lastReloadOk: boolean;
  syncs: number;
}

export class IngressController {
  private readonly informers: InformerFactory;
  private readonly ingresses: Informer<Ingress>;
  private readonly classes: Informer<IngressClass>;
  private readonly services: Informer<Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly secrets: Informer<Secret>;
  private readonly events: EventRecorder;
  private readonly confFile: string;
  private readonly certDir: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastText = '';
  private problems = new Set<string>();
  private readonly written = new Set<string>();
  private readonly parsedSecrets = new Map<string, { resourceVersion?: string; pair: TlsPair | { error: string } }>();
  /** Certificate ids the last rendered configuration names (its hosts' and the default one). */
  private certsInUse = new Set<string>();
  readonly stats: IngressControllerStats = { reloads: 0, failedReloads: 0, lastReloadOk: true, syncs: 0 };
  /** The model nginx runs, for the health endpoint and tests. */
  model: IngressModel | undefined;

  constructor(private readonly o: IngressControllerOptions) {
    this.informers = new InformerFactory(o.client, { transform: trimManagedFields });
    this.ingresses = this.informers.informer<Ingress>('ingresses.networking.k8s.io');
    this.classes = this.informers.informer<IngressClass>('ingressclasses.networking.k8s.io');
    this.services = this.informers.informer<Service>('services');
    this.slices = this.informers.informer<EndpointSlice>('endpointslices.discovery.k8s.io');
    this.secrets = this.informers.informer<Secret>('secrets');
    this.slices.addIndex('service', (s) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc ? [`${s.metadata.namespace}/${svc}`] : [];
    });
    this.events = new EventRecorder(o.client, 'flotilla-ingress-controller');
    this.confFile = path.join(o.dir, 'nginx.conf');
    this.certDir = path.join(o.dir, 'certs');
  }

  /** Writes a first configuration, starts nginx on it, then follows the cluster. */
  async start(): Promise<void> {
    fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
    // nginx's workers run as www-data and write request bodies there; only the master (root)
    // reads the certificates.
    for (const d of ['client-body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      fs.mkdirSync(path.join(this.o.dir, d), { recursive: true });
      fs.chmodSync(path.join(this.o.dir, d), 0o777);
    }
    await this.informers.start();
    // The first configuration is rendered from the listed state, so nginx starts serving it; the
    // handlers come after (replaying what is cached), so no reload races nginx's start.
    const text = this.render();
    this.lastText = text;
    this.writeConf(this.confFile, text);
    const err = await this.o.nginx.test(this.confFile);
    if (err) throw new Error(`the first nginx configuration was refused: ${err}`);
    await this.o.nginx.start(this.confFile, path.join(this.o.dir, 'nginx.pid'));
    this.stats.reloads++;
    await this.untilServing(text);
    this.o.log.info('nginx started', { servers: this.model?.servers.length, upstreams: this.model?.upstreams.length });
    const schedule = () => this.schedule();
    this.ingresses.addHandlers({
      onAdd: (i: Ingress) => {
        this.scheduledForSync(i);
        schedule();
      },
      onUpdate: (a: Ingress, b: Ingress) => {
        if (a.metadata.generation !== b.metadata.generation) this.scheduledForSync(b);
        schedule();
      },
      onDelete: schedule,
    });
    for (const inf of [this.classes, this.services, this.slices, this.secrets] as Informer<KubeObject>[]) inf.addHandlers({ onAdd: schedule, onUpdate: schedule, onDelete: schedule });
    this.secrets.addHandlers({ onDelete: (sec) => this.parsedSecrets.delete(`${sec.metadata.namespace}/${sec.metadata.name}`) });
    this.afterLoad();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.informers.stop();
  }

  /** Resolves once every change seen so far is in nginx's configuration (tests, health). */
  async settled(): Promise<void> {
    while (this.timer || this.running) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, this.o.coalesceMs ?? 100));
    }
  }

  private scheduledForSync(i: Ingress): void {
    if (!serves(i, ourClasses(this.classes.list(), this.o.controllerName))) return;
    this.events.event(i, 'Normal', 'Sync', 'Scheduled for sync');
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
    }, this.o.coalesceMs ?? 100);
  }

  private served(): Ingress[] {
    const ours = ourClasses(this.classes.list(), this.o.controllerName);
    return this.ingresses.list().filter((i) => serves(i, ours));
  }

  private certificate(namespace: string, name: string): TlsPair | { error: string } {
    const s = this.secrets.get(namespace, name);
    if (!s) return { error: 'not found' };
    // Parsed once per version of the Secret: a sync runs on every endpoint change.
    const key = `${namespace}/${name}`;
    let parsed = this.parsedSecrets.get(key);
    if (!parsed || parsed.resourceVersion !== s.metadata.resourceVersion) {
      parsed = { resourceVersion: s.metadata.resourceVersion, pair: tlsPairFromSecret(s) };
      this.parsedSecrets.set(key, parsed);
    }
    const pair = parsed.pair;
    if ('error' in pair) return pair;
    if (!this.written.has(pair.id)) {
      this.writeConf(path.join(this.certDir, `${pair.id}.crt`), pair.cert);
      this.writeConf(path.join(this.certDir, `${pair.id}.key`), pair.key, 0o600);
      this.written.add(pair.id);
    }
    return pair;
  }

  private render(): string {
    const served = this.served();
    this.model = buildModel({
      ingresses: served,
      service: (ns, name) => this.services.get(ns, name),
      slices: (ns, name) => this.slices.byIndex('service', `${ns}/${name}`),
      certificate: (ns, name) => this.certificate(ns, name),
    });
    let defaultCert: TlsPair | undefined;
    if (this.o.defaultCertificateSecret) {
      const [ns, name] = this.o.defaultCertificateSecret.split('/');
      const c = this.certificate(ns ?? '', name ?? '');
      if ('error' in c) this.o.log.warn('default certificate unavailable: TLS only for hosts with their own', { secret: this.o.defaultCertificateSecret, error: c.error });
      else defaultCert = c;
    }
    const settings: RenderSettings = {
      dir: this.o.dir,
      httpPort: this.o.httpPort,
      httpsPort: this.o.httpsPort,
      publicHttpPort: this.o.publicHttpPort,
      publicHttpsPort: this.o.publicHttpsPort,
      workerProcesses: this.o.workerProcesses,
      statusPort: this.statusPort,
      certificateFile: (id) => {
        const use = id ?? defaultCert?.id;
        return use ? { cert: path.join(this.certDir, `${use}.crt`), key: path.join(this.certDir, `${use}.key`) } : undefined;
      },
    };
    this.certsInUse = new Set([...this.model.servers.map((srv) => srv.certificate), defaultCert?.id].filter((id): id is string => !!id));
    return renderNginxConfig(this.model, settings);
  }

  private writeConf(file: string, text: string, mode = 0o644): void {
    fs.writeFileSync(`${file}.tmp`, text, { mode });
    fs.renameSync(`${file}.tmp`, file);
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    this.stats.syncs++;
    let text: string;
    try {
      text = this.render();
    } catch (e) {
      this.o.log.error('rendering the nginx configuration failed', { err: e });
      return;
    }
    if (text !== this.lastText) {
      const candidate = `${this.confFile}.candidate`;
      this.writeConf(candidate, text);
      const err = await this.o.nginx.test(candidate);
      if (err) {
        this.stats.failedReloads++;
        this.stats.lastReloadOk = false;
        this.o.log.error('nginx refused the new configuration; the running one stays', { error: err });
        if (this.o.pod) this.events.event({ apiVersion: 'v1', kind: 'Pod', metadata: { ...this.o.pod } }, 'Warning', 'RELOAD', `Error reloading NGINX: ${err}`);
        this.lastText = text; // the same text would be refused again: wait for a change
        return;
      }
      fs.renameSync(candidate, this.confFile);
      this.o.nginx.reload();
      this.lastText = text;
      this.stats.reloads++;
      this.stats.lastReloadOk = true;
      await this.untilServing(text);
      this.o.log.info('nginx reloaded', { servers: this.model?.servers.length, upstreams: this.model?.upstreams.length });
    }
    this.afterLoad();
  }

  /** Events for new problems, status for served Ingresses, old certificate files removed. */
  private afterLoad(): void {
    const model = this.model!;
    const now = new Set<string>();
    for (const p of model.problems) {
      const k = `${p.ingress}\u0000${p.reason}\u0000${p.message}`;
      now.add(k);
      if (this.problems.has(k)) continue;
      const [ns, name] = p.ingress.split('/');
      const ing = this.ingresses.get(ns, name!);
      if (ing) this.events.event(ing, 'Warning', p.reason, p.message);
      this.o.log.warn(p.message, { ingress: p.ingress, reason: p.reason });
    }
    this.problems = now;
    for (const ing of this.served()) void this.updateStatus(ing);
    for (const id of [...this.written]) {
      if (this.certsInUse.has(id)) continue;
      this.written.delete(id);
      for (const ext of ['crt', 'key']) fs.rmSync(path.join(this.certDir, `${id}.${ext}`), { force: true });
    }
  }

  private get statusPort(): number {
    return this.o.statusPort ?? 10246;
  }

  /**
   * Waits (up to 10 s) until nginx serves `text`: a SIGHUP only starts a reload, and status and
   * events should describe what users reach.
   */
  private async untilServing(text: string): Promise<void> {
    const want = configHashOf(text);
    const deadline = Date.now() + 10_000;
    // Three answers in a row: for a moment after a reload the old workers still accept too.
    let inARow = 0;
    while (want && !this.stopped) {
      inARow = (await this.servedHash()) === want ? inARow + 1 : 0;
      if (inARow === 3) return;
      if (Date.now() > deadline) {
        this.o.log.warn('nginx has not loaded the new configuration within 10 s');
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private servedHash(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: this.statusPort, path: CONFIG_HASH_PATH, agent: false, timeout: 1000 }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
        res.on('error', () => resolve(undefined));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
    });
  }

  private async updateStatus(ing: Ingress): Promise<void> {
    const want = [{ ip: this.o.statusAddress }];
    const have = ing.status?.loadBalancer?.ingress ?? [];
    if (have.length === 1 && have[0]!.ip === want[0]!.ip && !have[0]!.hostname) return;
    try {
      await this.o.client.update('ingresses.networking.k8s.io', { ...ing, status: { loadBalancer: { ingress: want } } }, 'status');
    } catch (e) {
      // A conflict or a deleted Ingress: the informer's next event brings the next try.
      this.o.log.debug('status update failed', { ingress: `${ing.metadata.namespace}/${ing.metadata.name}`, err: e });
    }
  }
}
