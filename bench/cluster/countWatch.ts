import https from 'node:https';
import type { Credentials } from '../lib/client.js';

// Counts the watch events of one resource in one namespace (ADDED / MODIFIED / DELETED), e.g.
// how many status writes the controllers made to ReplicaSets and Deployments during a run.
// Lines are scanned for their type only (no JSON parse of the objects).

export class CountWatch {
  readonly counts: Record<string, number> = {};
  error: string | undefined;
  private req: ReturnType<typeof https.request> | undefined;
  private readonly agent: https.Agent;

  constructor(
    private readonly creds: Credentials,
    private readonly basePath: string,
    private readonly resourceVersion: string,
  ) {
    this.agent = new https.Agent({ keepAlive: false, ca: creds.ca });
  }

  start(): Promise<void> {
    const url = new URL(this.creds.server);
    const path = `${this.basePath}?watch=true&timeoutSeconds=900&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: url.hostname, port: url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, headers: { Accept: 'application/json', Authorization: `Bearer ${this.creds.token}`, 'User-Agent': 'flotilla-bench/1' } },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${this.basePath} answered HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              const m = line.match(/^\{"type":"([A-Z]+)"/);
              const t = m?.[1] ?? 'unparsed';
              this.counts[t] = (this.counts[t] ?? 0) + 1;
            }
          });
          res.on('error', () => {});
          res.on('close', () => {
            if (!this.req?.destroyed) this.error ??= 'stream ended early';
          });
          resolve();
        },
      );
      req.on('error', (e) => {
        this.error ??= e.message;
        reject(e);
      });
      req.end();
      this.req = req;
    });
  }

  stop(): Record<string, number> {
    this.req?.destroy();
    this.agent.destroy();
    return { ...this.counts };
  }
}
