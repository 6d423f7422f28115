import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src-main/controlplane.js';

// Starts a real control plane (HTTPS API server on a free loopback port, store in a temporary
// folder) and runs the machine's real /usr/bin/kubectl against it with a fresh discovery cache.

export interface TestCluster {
  cp: ControlPlane;
  dir: string;
  kubeconfigPath: string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  kubectlOK(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Authenticated HTTPS request to the API server (for raw protocol checks). */
  request(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; text: string; json: any }>;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export async function startTestCluster(opts: Partial<ControlPlaneOptions> = {}): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-it-'));
  const cp = await startControlPlane({ dataDir: path.join(dir, 'data'), port: 0, ...opts });
  const kubeconfigPath = cp.kubeconfigPath!;
  const cacheDir = path.join(dir, 'kube-cache');

  const kubectl = (args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(KUBECTL, [`--kubeconfig=${kubeconfigPath}`, `--cache-dir=${cacheDir}`, ...args], {
        env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfigPath },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      if (o.input !== undefined) child.stdin.end(o.input);
      else child.stdin.end();
    });

  const kubectlOK = async (args: string[], o?: { input?: string; timeoutMs?: number }) => {
    const r = await kubectl(args, o);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };

  const request = async (method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) => {
    const { request: httpsRequest } = await import('node:https');
    return new Promise<{ status: number; headers: Headers; text: string; json: any }>((resolve, reject) => {
      const u = new URL(urlPath, cp.url);
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest(
        u,
        {
          method,
          ca: cp.caCert,
          headers: {
            Authorization: `Bearer ${cp.adminToken}`,
            // Node does not chunk DELETE bodies by default, so the length must be explicit.
            ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
            resolve({ status: res.statusCode ?? 0, headers: h, text, json });
          });
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  };

  return {
    cp,
    dir,
    kubeconfigPath,
    kubectl,
    kubectlOK,
    request,
    async stop() {
      await cp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
