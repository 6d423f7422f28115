import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../api/log.js';

// Debian's nginx as the controller's child: started in the foreground (`daemon off`), its output
// passed through to the container's (so `kubectl logs` shows the access log), a configuration
// tested with `nginx -t` before it replaces the running one, and reloaded with SIGHUP (nginx
// starts new workers on the new configuration and lets the old ones finish their requests).
// SIGQUIT stops it gracefully.

export interface NginxRunner {
  /** Starts nginx and resolves once it handles signals (it has written pidFile). */
  start(confFile: string, pidFile: string): Promise<void>;
  /** `nginx -t` of a configuration file: its error text when it is refused. */
  test(confFile: string): Promise<string | undefined>;
  reload(): void;
  stop(graceMs: number): Promise<void>;
  /** Called once when nginx exits without having been asked to stop. */
  onExit?: (code: number | null) => void;
}

export class NginxProcess implements NginxRunner {
  private child: ChildProcess | undefined;
  private stopping = false;
  onExit?: (code: number | null) => void;

  constructor(
    private readonly log: Logger,
    private readonly binary = 'nginx',
  ) {}

  async start(confFile: string, pidFile: string): Promise<void> {
    fs.rmSync(pidFile, { force: true });
    const child = spawn(this.binary, ['-c', confFile, '-g', 'daemon off; master_process on;'], { stdio: ['ignore', 'inherit', 'inherit'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (e) => reject(new Error(`cannot start ${this.binary}: ${e.message}`)));
    });
    let exited = false;
    child.once('exit', (code) => {
      exited = true;
      this.child = undefined;
      if (!this.stopping) {
        this.log.error('nginx exited', { code });
        this.onExit?.(code);
      }
    });
    // nginx installs its signal handlers before it writes the pid file: a SIGHUP sent earlier
    // would kill it instead of reloading it.
    const deadline = Date.now() + 10_000;
    while (!exited && readPid(pidFile) !== child.pid) {
      if (Date.now() > deadline) throw new Error(`nginx did not write ${pidFile} within 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (exited) throw new Error('nginx exited while starting');
  }

  test(confFile: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const p = spawn(this.binary, ['-t', '-q', '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr!.on('data', (d: Buffer) => {
        if (err.length < 8192) err += d.toString();
      });
      p.once('error', (e) => resolve(e.message));
      p.once('close', (code) => resolve(code === 0 ? undefined : err.trim() || `nginx -t exited with ${code}`));
    });
  }

  reload(): void {
    this.child?.kill('SIGHUP');
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function readPid(file: string): number | undefined {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}
