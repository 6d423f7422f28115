import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src-main/controlplane.js';
import { runKubectl, runKubectlOK, type KubectlResult, type KubectlRunOptions, type KubectlTarget } from './kubectl.js';

// Starts a real control plane (HTTPS API server on a free loopback port, store in a temporary
// folder) and runs the machine's real kubectl (kubectl.ts) against it with a fresh discovery cache.

export interface TestCluster {
  cp: ControlPlane;
  dir: string;
  kubeconfigPath: string;
  /** Where kubectl runs for this cluster (kubectl.ts). */
  kubectlTarget: KubectlTarget;
  kubectl(args: string[], opts?: KubectlRunOptions): Promise<KubectlResult>;
  kubectlOK(args: string[], opts?: KubectlRunOptions): Promise<string>;
  /** Authenticated HTTPS request to the API server (for raw protocol checks). */
  request(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; text: string; json: any }>;
  stop(): Promise<void>;
}

export async function startTestCluster(opts: Partial<ControlPlaneOptions> = {}): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-it-'));
  const cp = await startControlPlane({ dataDir: path.join(dir, 'data'), port: 0, ...opts });
  const kubeconfigPath = cp.kubeconfigPath!;

  const target: KubectlTarget = { kubeconfig: kubeconfigPath, home: dir };
  const kubectl = (args: string[], o?: KubectlRunOptions) => runKubectl(target, args, o);
  const kubectlOK = (args: string[], o?: KubectlRunOptions) => runKubectlOK(target, args, o);

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
    kubectlTarget: target,
    kubectl,
    kubectlOK,
    request,
    async stop() {
      await cp.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
