import path from 'node:path';
import { startSession, type ChildSession } from './childSession.js';

// The machine's real kubectl, run the one way every test helper runs it: on one kubeconfig, with
// HOME in the test's folder and a discovery cache of its own there, so that runs against different
// clusters (or an earlier run on the same port) never share a cache or the user's ~/.kube.

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Which cluster kubectl talks to and where it keeps its files. */
export interface KubectlTarget {
  kubeconfig: string;
  /** HOME for kubectl; its discovery cache is home/kube-cache unless `cacheDir` says otherwise. */
  home: string;
  cacheDir?: string;
}

export interface KubectlRunOptions {
  /** Written to kubectl's stdin, which is then closed (closed at once without it). */
  input?: string;
  /** kubectl is killed after this long whatever happens (default 30 s). */
  timeoutMs?: number;
}

/** The discovery cache folder kubectl uses for a target. */
export function kubectlCacheDir(t: KubectlTarget): string {
  return t.cacheDir ?? path.join(t.home, 'kube-cache');
}

/** kubectl's command line for a target: the kubeconfig and cache flags, then `args`. */
export function kubectlArgs(t: KubectlTarget, args: string[]): string[] {
  return [`--kubeconfig=${t.kubeconfig}`, `--cache-dir=${kubectlCacheDir(t)}`, ...args];
}

export function kubectlEnv(t: KubectlTarget): NodeJS.ProcessEnv {
  return { ...process.env, HOME: t.home, KUBECONFIG: t.kubeconfig };
}

/** kubectl with its stdin kept open, for a test that talks to it while it runs (attach, logs -f, get -w). */
export function kubectlSession(t: KubectlTarget, args: string[], killAfterMs = 60_000): ChildSession {
  return startSession(KUBECTL, kubectlArgs(t, args), { env: kubectlEnv(t), killAfterMs });
}

/** kubectl run to completion. A kill (the timeout) shows as code -1. */
export async function runKubectl(t: KubectlTarget, args: string[], opts: KubectlRunOptions = {}): Promise<KubectlResult> {
  const s = kubectlSession(t, args, opts.timeoutMs ?? 30_000);
  if (opts.input !== undefined) s.write(opts.input);
  s.end();
  const r = await s.exited;
  return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** kubectl run to completion; its stdout, or an error with its stderr when it exits non-zero. */
export async function runKubectlOK(t: KubectlTarget, args: string[], opts: KubectlRunOptions = {}): Promise<string> {
  const r = await runKubectl(t, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
