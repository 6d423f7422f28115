import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '../lib/probe.cjs';

// The floor for the API benchmarks: a bare Node HTTPS server with the same TLS setup as the API
// server (the cluster's ECDSA P-256 serving certificate from <pki dir>, argv[2]; same keep-alive
// timeout) that reads the request body and answers a small JSON body. `GET /big?bytes=N` answers
// an N-byte JSON body (built once per size) as the floor for large LISTs. Prints
// `READY <url>`; exits on SIGTERM, SIGINT or when stdin closes. Answers the probe commands of
// bench/lib/probe.cjs on stdin, as the API server's child does, so both are measured alike.

const SMALL = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
const big = new Map<number, Buffer>();

function bigBody(bytes: number): Buffer {
  let b = big.get(bytes);
  if (!b) {
    const head = '{"kind":"List","apiVersion":"v1","metadata":{},"items":["';
    const tail = '"]}';
    b = Buffer.from(head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
    big.set(bytes, b);
  }
  return b;
}

function main(): void {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: bareServerChild.ts <pki dir>');
  const server = https.createServer(
    { cert: fs.readFileSync(path.join(dir, 'apiserver.crt')), key: fs.readFileSync(path.join(dir, 'apiserver.key')), keepAliveTimeout: 65_000 },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        if (url.startsWith('/big?')) {
          const n = Math.min(256 * 1024 * 1024, Number(new URL(url, 'https://x').searchParams.get('bytes')) || 0);
          const body = bigBody(n);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
          res.end(body);
          return;
        }
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(SMALL) });
        res.end(SMALL);
      });
    },
  );
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`READY https://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  serve({}, stop);
  process.stdin.resume();
}

main();
