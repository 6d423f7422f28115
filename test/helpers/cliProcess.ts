import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import https from 'node:https';
import fs from 'node:fs';
import yaml from 'js-yaml';

// Runs the built CLI (`node dist/cli.cjs`, produced by `npm test`'s build step) as a real child
// process, so tests can signal it and kill -9 it.

export const CLI = path.resolve(__dirname, '../../dist/cli.cjs');

export interface UpProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

export function flotilla(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startUp(dataDir: string, extra: string[] = []): Promise<UpProcess> {
  const child = spawn(process.execPath, [CLI, 'up', '--data', dataDir, '--port', '0', '--nodes', '0', '--no-ui', ...extra]);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla up did not start: ${out}`)), 20_000);
    const check = () => {
      const m = /API server: (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`flotilla up exited: ${out}`)));
  });
  return { child, url, output: () => out, exited };
}

export interface Creds {
  ca: string;
  token: string;
}

export function credsFrom(dataDir: string): Creds {
  const kc = yaml.load(fs.readFileSync(path.join(dataDir, 'kubeconfig'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return { ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(), token: kc.users[0]!.user.token };
}

export function call(url: string, creds: Creds, method: string, p: string, body?: unknown, agent?: https.Agent): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      new URL(p, url),
      { method, ca: creds.ca, agent, headers: { Authorization: `Bearer ${creds.token}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
