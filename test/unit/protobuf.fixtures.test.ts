// Decodes real kubectl protobuf bodies (test/fixtures/protobuf) and compares them with JSON that
// kubectl itself produced for the same objects. See test/fixtures/protobuf/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeK8sProtobuf, isK8sProtobuf, ProtobufDecodeError } from '../../src-main/apiserver/protobuf/index.js';

const dir = path.resolve(__dirname, '../fixtures/protobuf');
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as {
  requests: Record<string, { command: string; request: string; contentType: string }>;
  'kubectl-decoded': Record<string, { description: string }>;
};

function readHex(file: string): Buffer {
  return Buffer.from(fs.readFileSync(file, 'utf8').replace(/\s+/g, ''), 'hex');
}

function fixtures(sub: 'requests' | 'kubectl-decoded'): string[] {
  return fs
    .readdirSync(path.join(dir, sub))
    .filter((f) => f.endsWith('.hex'))
    .map((f) => f.slice(0, -4))
    .sort();
}

describe('protobuf fixtures: bodies kubectl sent', () => {
  const names = fixtures('requests');

  it('has a manifest entry for every captured body, and the reverse', () => {
    expect(names).toEqual(Object.keys(manifest.requests).sort());
    expect(names.length).toBe(24);
  });

  for (const name of names.filter((n) => n !== 'job-unsupported')) {
    it(`${name}: ${manifest.requests[name].command}`, () => {
      const body = readHex(path.join(dir, 'requests', `${name}.hex`));
      expect(manifest.requests[name].contentType).toBe('application/vnd.kubernetes.protobuf');
      expect(isK8sProtobuf(body)).toBe(true);
      const want = JSON.parse(fs.readFileSync(path.join(dir, 'requests', `${name}.json`), 'utf8'));
      expect(decodeK8sProtobuf(body)).toStrictEqual(want);
    });
  }

  it('job-unsupported: a real batch/v1 Job body is refused, naming the kind', () => {
    const body = readHex(path.join(dir, 'requests', 'job-unsupported.hex'));
    expect(isK8sProtobuf(body)).toBe(true);
    expect(() => decodeK8sProtobuf(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeK8sProtobuf(body)).toThrow(/kind Job \(apiVersion "batch\/v1"\)/);
  });
});

describe('protobuf fixtures: bodies decoded by kubectl itself', () => {
  const names = fixtures('kubectl-decoded');

  it('has a manifest entry for every body', () => {
    expect(names).toEqual(Object.keys(manifest['kubectl-decoded']).sort());
    expect(names.length).toBe(10);
  });

  for (const name of names) {
    it(`${name}: ${manifest['kubectl-decoded'][name].description}`, () => {
      const body = readHex(path.join(dir, 'kubectl-decoded', `${name}.hex`));
      const want = JSON.parse(fs.readFileSync(path.join(dir, 'kubectl-decoded', `${name}.json`), 'utf8'));
      expect(decodeK8sProtobuf(body)).toStrictEqual(want);
    });
  }
});

describe('protobuf fixtures: spot checks of the decoded shape', () => {
  const decode = (name: string) => decodeK8sProtobuf(readHex(path.join(dir, 'requests', `${name}.hex`)));

  it('kubectl create deployment web --image=nginx:1.25 --port=80 --replicas=2', () => {
    expect(decode('deployment')).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('kubectl create service nodeport np1 --tcp=80:8080 --node-port=30080', () => {
    expect(decode('service-nodeport')).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np1', creationTimestamp: null, labels: { app: 'np1' } },
      spec: {
        ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        selector: { app: 'np1' },
        type: 'NodePort',
      },
      status: { loadBalancer: {} },
    });
  });

  it('kubectl create ingress ing1 --rule="foo.com/bar=svc1:8080"', () => {
    expect(decode('ingress')).toStrictEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'ing1', creationTimestamp: null },
      spec: {
        rules: [
          {
            host: 'foo.com',
            http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] },
          },
        ],
      },
      status: { loadBalancer: {} },
    });
  });

  it('kubectl create secret generic s1 --from-literal=p=q: data is base64', () => {
    expect(decode('secret-generic')).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's1', creationTimestamp: null },
      data: { p: Buffer.from('q').toString('base64') },
    });
  });

  it('kubectl create configmap --from-file with binary content uses binaryData', () => {
    const cm = decode('configmap-files');
    expect(cm.data).toStrictEqual({ empty: '', 'greeting.txt': 'hello\nworld\n' });
    expect(cm.binaryData).toStrictEqual({ blob: Buffer.from([0, 1, 0xfe, 0xff, ...Buffer.from('binary')]).toString('base64') });
  });

  it('kubectl create namespace demo / serviceaccount sa1', () => {
    expect(decode('namespace')).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', creationTimestamp: null },
      spec: {},
      status: {},
    });
    expect(decode('serviceaccount')).toStrictEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa1', creationTimestamp: null },
    });
  });
});
