// Envelope handling, Go-JSON semantics (omitempty, pointers, value structs) and errors of the
// Kubernetes protobuf decoder, on bodies built here with protobufjs's Writer.
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { checkSchema, messageNames } from '../../src-main/apiserver/protobuf/decode.js';
import {
  decodeK8sProtobuf,
  isK8sProtobuf,
  K8S_PROTOBUF_CONTENT_TYPE,
  ProtobufDecodeError,
  supportedProtobufKinds,
} from '../../src-main/apiserver/protobuf/index.js';

type W = protobuf.Writer;
const LEN = 2;
const VARINT = 0;

/** A tiny message builder: `msg(w => str(w, 1, 'x'))` returns the encoded bytes. */
function msg(build: (w: W) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}
const str = (w: W, n: number, s: string) => w.uint32((n << 3) | LEN).string(s);
const bytes = (w: W, n: number, b: Uint8Array) => w.uint32((n << 3) | LEN).bytes(b);
const int = (w: W, n: number, v: number) => w.uint32((n << 3) | VARINT).int64(v);
const bool = (w: W, n: number, v: boolean) => w.uint32((n << 3) | VARINT).bool(v);
const entry = (w: W, n: number, k: string, v: Uint8Array | string) =>
  bytes(w, n, msg((e) => (str(e, 1, k), typeof v === 'string' ? str(e, 2, v) : bytes(e, 2, v))));

function envelope(apiVersion: string, kind: string, raw?: Uint8Array, extra?: (w: W) => void): Buffer {
  const body = msg((w) => {
    bytes(w, 1, msg((t) => (str(t, 1, apiVersion), str(t, 2, kind))));
    if (raw) bytes(w, 2, raw);
    if (extra) {
      extra(w);
    } else {
      str(w, 3, '');
      str(w, 4, '');
    }
  });
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), body]);
}

const meta = (name: string, more?: (w: W) => void) => msg((w) => (str(w, 1, name), more?.(w)));

describe('isK8sProtobuf', () => {
  it('recognises the k8s\\0 prefix only', () => {
    expect(isK8sProtobuf(Buffer.from('k8s\0\x0a\x00', 'latin1'))).toBe(true);
    expect(isK8sProtobuf(Buffer.from('k8s\0', 'latin1'))).toBe(true);
    expect(isK8sProtobuf(Buffer.from('k8s', 'latin1'))).toBe(false);
    expect(isK8sProtobuf(Buffer.from('{"kind":"Pod"}'))).toBe(false);
    expect(isK8sProtobuf(Buffer.from('k8s1xxxx', 'latin1'))).toBe(false);
    expect(isK8sProtobuf(Buffer.alloc(0))).toBe(false);
  });

  it('exports the media type', () => {
    expect(K8S_PROTOBUF_CONTENT_TYPE).toBe('application/vnd.kubernetes.protobuf');
  });
});

describe('schema', () => {
  it('compiles every message spec', () => {
    expect(() => checkSchema()).not.toThrow();
    expect(messageNames().length).toBeGreaterThan(120);
  });

  it('lists the supported kinds', () => {
    expect(supportedProtobufKinds().sort()).toEqual(
      [
        'apps/v1 Deployment',
        'apps/v1 ReplicaSet',
        'authentication.k8s.io/v1 TokenRequest',
        'networking.k8s.io/v1 Ingress',
        'policy/v1 Eviction',
        'v1 ConfigMap',
        'v1 Namespace',
        'v1 Pod',
        'v1 Secret',
        'v1 Service',
        'v1 ServiceAccount',
      ].sort(),
    );
  });
});

describe('decodeK8sProtobuf: envelope', () => {
  it('takes apiVersion and kind from the envelope', () => {
    expect(decodeK8sProtobuf(envelope('v1', 'ConfigMap', msg((w) => bytes(w, 1, meta('c')))))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', creationTimestamp: null },
    });
  });

  it('treats a missing raw object as the zero object', () => {
    expect(decodeK8sProtobuf(envelope('v1', 'Namespace'))).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it('accepts an explicit protobuf content type', () => {
    const body = envelope('v1', 'ServiceAccount', msg((w) => bytes(w, 1, meta('sa'))), (w) => str(w, 4, K8S_PROTOBUF_CONTENT_TYPE));
    expect(decodeK8sProtobuf(body).metadata).toStrictEqual({ name: 'sa', creationTimestamp: null });
  });

  it('refuses unknown kinds, naming them', () => {
    const cronJob = envelope('batch/v1', 'CronJob', meta('x'));
    expect(() => decodeK8sProtobuf(cronJob)).toThrow(ProtobufDecodeError);
    expect(() => decodeK8sProtobuf(cronJob)).toThrow('protobuf decoding of kind CronJob (apiVersion "batch/v1") is not supported');
  });

  it('refuses kind names that are Object.prototype members', () => {
    expect(() => decodeK8sProtobuf(envelope('v1', 'constructor'))).toThrow(/kind constructor \(apiVersion "v1"\) is not supported/);
    expect(() => decodeK8sProtobuf(envelope('__proto__', 'toString'))).toThrow(/kind toString/);
  });

  it('keeps a "__proto__" map key as an own property', () => {
    const cm = decodeK8sProtobuf(envelope('v1', 'ConfigMap', msg((w) => entry(w, 2, '__proto__', 'x'))));
    expect(Object.keys(cm.data as object)).toEqual(['__proto__']);
    expect(JSON.stringify(cm.data)).toBe('{"__proto__":"x"}');
  });

  it('refuses a known kind under another apiVersion', () => {
    expect(() => decodeK8sProtobuf(envelope('extensions/v1beta1', 'Deployment', meta('x')))).toThrow(
      /kind Deployment \(apiVersion "extensions\/v1beta1"\)/,
    );
  });

  it('refuses a body without the prefix, without a kind, or with a content encoding', () => {
    expect(() => decodeK8sProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/k8s\\0/);
    expect(() => decodeK8sProtobuf(envelope('v1', ''))).toThrow(/no kind/);
    expect(() => decodeK8sProtobuf(envelope('v1', 'Pod', undefined, (w) => str(w, 3, 'gzip')))).toThrow(/content encoding "gzip"/);
    expect(() => decodeK8sProtobuf(envelope('v1', 'Pod', undefined, (w) => str(w, 4, 'application/json')))).toThrow(
      /content type "application\/json"/,
    );
  });

  it('throws ProtobufDecodeError for truncated or malformed bodies', () => {
    const good = envelope('v1', 'ConfigMap', msg((w) => (bytes(w, 1, meta('c')), entry(w, 2, 'a', 'b'))));
    expect(() => decodeK8sProtobuf(good)).not.toThrow();
    for (let cut = 5; cut < good.length; cut++) {
      let err: unknown;
      try {
        decodeK8sProtobuf(good.subarray(0, cut));
      } catch (e) {
        err = e;
      }
      // Some prefixes are themselves valid messages; every failure must be a ProtobufDecodeError.
      if (err !== undefined) expect(err).toBeInstanceOf(ProtobufDecodeError);
    }
    expect(() => decodeK8sProtobuf(good.subarray(0, good.length - 1))).toThrow(ProtobufDecodeError);
    // ObjectMeta (field 1) sent as a varint instead of a message.
    expect(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', msg((w) => int(w, 1, 5))))).toThrow(/wire type 0, expected 2/);
  });
});

describe('decodeK8sProtobuf: Go JSON semantics', () => {
  it('drops zero omitempty scalars but keeps zero pointer and non-omitempty ones', () => {
    const spec = msg((w) => {
      int(w, 1, 0); // replicas *int32
      int(w, 5, 0); // minReadySeconds int32 omitempty
      bool(w, 7, false); // paused bool omitempty
      int(w, 6, 0); // revisionHistoryLimit *int32
      bytes(w, 3, msg((t) => bytes(t, 2, msg((p) => bytes(p, 2, msg((c) => (str(c, 1, ''), str(c, 2, '')))))))); // name "" kept, image "" dropped
    });
    const d = decodeK8sProtobuf(envelope('apps/v1', 'Deployment', msg((w) => (bytes(w, 1, meta('d')), bytes(w, 2, spec)))));
    expect(d.spec).toStrictEqual({
      replicas: 0,
      revisionHistoryLimit: 0,
      selector: null, // *LabelSelector without omitempty
      template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: '', resources: {} }] } },
      strategy: {},
    });
  });

  it('decodes maps of bytes as base64 and keeps empty values', () => {
    const s = decodeK8sProtobuf(
      envelope(
        'v1',
        'Secret',
        msg((w) => {
          bytes(w, 1, meta('s'));
          entry(w, 2, 'bin', Uint8Array.from([0, 255, 10]));
          entry(w, 2, 'empty', new Uint8Array());
          entry(w, 4, 'plain', 'text');
          str(w, 3, 'Opaque');
          bool(w, 5, false);
        }),
      ),
    );
    expect(s).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', creationTimestamp: null },
      data: { bin: 'AP8K', empty: '' },
      stringData: { plain: 'text' },
      type: 'Opaque',
      immutable: false,
    });
  });

  it('decodes IntOrString, Quantity, Time and FieldsV1', () => {
    const intStr = (v: number | string) =>
      msg((w) => (typeof v === 'string' ? (int(w, 1, 1), str(w, 3, v)) : (int(w, 1, 0), int(w, 2, v))));
    const svcSpec = msg((w) => {
      bytes(w, 1, msg((p) => (int(p, 3, 80), bytes(p, 4, intStr('http')))));
      bytes(w, 1, msg((p) => (int(p, 3, 81), bytes(p, 4, intStr(8081)))));
      bytes(w, 1, msg((p) => int(p, 3, 82))); // targetPort absent: zero IntOrString
    });
    const objectMeta = meta('svc', (w) => {
      bytes(w, 8, msg((t) => int(t, 1, 1714564800))); // 2024-05-01T12:00:00Z
      bytes(w, 9, new Uint8Array()); // deletionTimestamp set to the zero time
      bytes(
        w,
        17,
        msg((m) => {
          str(m, 1, 'kubectl');
          bytes(m, 4, msg((t) => (int(t, 1, 0), int(t, 2, 999)))); // the Unix epoch; nanos are dropped
          bytes(m, 7, msg((f) => bytes(f, 1, Buffer.from('{"f:spec":{}}'))));
        }),
      );
    });
    const svc = decodeK8sProtobuf(envelope('v1', 'Service', msg((w) => (bytes(w, 1, objectMeta), bytes(w, 2, svcSpec)))));
    expect(svc.metadata).toStrictEqual({
      name: 'svc',
      creationTimestamp: '2024-05-01T12:00:00Z',
      deletionTimestamp: null,
      managedFields: [{ manager: 'kubectl', time: '1970-01-01T00:00:00Z', fieldsV1: { 'f:spec': {} } }],
    });
    expect(svc.spec).toStrictEqual({
      ports: [
        { port: 80, targetPort: 'http' },
        { port: 81, targetPort: 8081 },
        { port: 82, targetPort: 0 },
      ],
    });

    const container = msg((c) => {
      str(c, 1, 'app');
      bytes(
        c,
        8,
        msg((r) => {
          entry(r, 1, 'cpu', msg((q) => str(q, 1, '500m')));
          entry(r, 2, 'memory', msg((q) => str(q, 1, '1Gi')));
          entry(r, 2, 'zero', new Uint8Array());
        }),
      );
    });
    const pod = decodeK8sProtobuf(envelope('v1', 'Pod', msg((w) => bytes(w, 2, msg((s) => bytes(s, 2, container))))));
    expect((pod.spec as { containers: unknown[] }).containers[0]).toStrictEqual({
      name: 'app',
      resources: { limits: { cpu: '500m' }, requests: { memory: '1Gi', zero: '0' } },
    });
  });

  it('reads packed and unpacked repeated integers', () => {
    const podSpec = (groups: (w: W) => void) =>
      msg((s) => (bytes(s, 2, msg((c) => str(c, 1, 'c'))), bytes(s, 14, msg((sc) => groups(sc)))));
    const unpacked = decodeK8sProtobuf(envelope('v1', 'Pod', msg((w) => bytes(w, 2, podSpec((sc) => (int(sc, 4, 1), int(sc, 4, 3000000000)))))));
    const packed = decodeK8sProtobuf(
      envelope('v1', 'Pod', msg((w) => bytes(w, 2, podSpec((sc) => sc.uint32((4 << 3) | LEN).fork().int64(1).int64(3000000000).ldelim())))),
    );
    for (const p of [unpacked, packed]) {
      expect((p.spec as Record<string, unknown>).securityContext).toStrictEqual({ supplementalGroups: [1, 3000000000] });
    }
  });

  it('skips unknown fields and lets a repeated scalar field win last', () => {
    const ns = decodeK8sProtobuf(
      envelope(
        'v1',
        'Namespace',
        msg((w) => {
          bytes(w, 1, meta('first', (m) => (str(m, 1, 'second'), int(m, 99, 7), str(m, 98, 'x'))));
          int(w, 50, 1);
          w.uint32((51 << 3) | 5).fixed32(1);
          w.uint32((52 << 3) | 1).fixed64(1);
        }),
      ),
    );
    expect(ns).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'second', creationTimestamp: null },
      spec: {},
      status: {},
    });
  });

  it('inlines embedded structs (Probe handler, Volume source, key selectors)', () => {
    const container = msg((c) => {
      str(c, 1, 'app');
      bytes(c, 10, msg((p) => (bytes(p, 1, msg((h) => bytes(h, 3, msg((t) => bytes(t, 1, msg((i) => (int(i, 1, 0), int(i, 2, 80)))))))), int(p, 4, 5))));
      bytes(
        c,
        7,
        msg((e) => {
          str(e, 1, 'K');
          bytes(e, 3, msg((src) => bytes(src, 4, msg((sk) => (bytes(sk, 1, msg((l) => str(l, 1, 'sec'))), str(sk, 2, 'key'))))));
        }),
      );
    });
    const podSpec = msg((s) => {
      bytes(s, 1, msg((v) => (str(v, 1, 'cfg'), bytes(v, 2, msg((vs) => bytes(vs, 19, msg((cm) => bytes(cm, 1, msg((l) => str(l, 1, 'cm1'))))))))));
      bytes(s, 2, container);
    });
    const pod = decodeK8sProtobuf(envelope('v1', 'Pod', msg((w) => (bytes(w, 1, meta('p')), bytes(w, 2, podSpec)))));
    expect(pod.spec).toStrictEqual({
      volumes: [{ name: 'cfg', configMap: { name: 'cm1' } }],
      containers: [
        {
          name: 'app',
          env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'sec', key: 'key' } } }],
          resources: {},
          livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        },
      ],
    });
  });
});

describe('decodeK8sProtobuf: kinds kubectl create does not send', () => {
  it('Pod with a status', () => {
    const time = msg((t) => int(t, 1, 1714564800));
    const status = msg((s) => {
      str(s, 1, 'Running');
      bytes(s, 2, msg((c) => (str(c, 1, 'Ready'), str(c, 2, 'True'), bytes(c, 4, time))));
      str(s, 5, '192.168.1.2');
      str(s, 6, '10.0.0.5');
      bytes(s, 12, msg((ip) => str(ip, 1, '10.0.0.5')));
      bytes(s, 7, time);
      str(s, 9, 'Burstable');
      bytes(
        s,
        8,
        msg((cs) => {
          str(cs, 1, 'app');
          bytes(cs, 2, msg((st) => bytes(st, 2, msg((r) => bytes(r, 1, time)))));
          bytes(cs, 3, msg((st) => bytes(st, 3, msg((t) => (int(t, 1, 137), str(t, 3, 'OOMKilled'), bytes(t, 5, new Uint8Array()))))));
          bool(cs, 4, true);
          int(cs, 5, 2);
          str(cs, 6, 'nginx:1.25');
          str(cs, 7, 'docker://sha256:abc');
          str(cs, 8, 'docker://123');
          bool(cs, 9, true);
        }),
      );
    });
    const pod = decodeK8sProtobuf(
      envelope(
        'v1',
        'Pod',
        msg((w) => {
          bytes(w, 1, meta('web-1', (m) => (str(m, 3, 'default'), entry(m, 11, 'app', 'web'))));
          bytes(w, 2, msg((s) => (bytes(s, 2, msg((c) => (str(c, 1, 'app'), str(c, 2, 'nginx:1.25')))), str(s, 10, 'node-1'))));
          bytes(w, 3, status);
        }),
      ),
    );
    expect(pod).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'default', creationTimestamp: null, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'nginx:1.25', resources: {} }], nodeName: 'node-1' },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-05-01T12:00:00Z' }],
        hostIP: '192.168.1.2',
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        startTime: '2024-05-01T12:00:00Z',
        qosClass: 'Burstable',
        containerStatuses: [
          {
            name: 'app',
            state: { running: { startedAt: '2024-05-01T12:00:00Z' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: null, finishedAt: null } },
            ready: true,
            restartCount: 2,
            image: 'nginx:1.25',
            imageID: 'docker://sha256:abc',
            containerID: 'docker://123',
            started: true,
          },
        ],
      },
    });
  });

  it('ReplicaSet', () => {
    const rs = decodeK8sProtobuf(
      envelope(
        'apps/v1',
        'ReplicaSet',
        msg((w) => {
          bytes(
            w,
            1,
            meta('web-abc', (m) =>
              bytes(m, 13, msg((o) => (str(o, 5, 'apps/v1'), str(o, 1, 'Deployment'), str(o, 3, 'web'), str(o, 4, 'u1'), bool(o, 6, true), bool(o, 7, true)))),
            ),
          );
          bytes(w, 2, msg((s) => (int(s, 1, 1), bytes(s, 2, msg((l) => entry(l, 1, 'app', 'web'))))));
          bytes(w, 3, msg((s) => (int(s, 1, 0), int(s, 3, 4))));
        }),
      ),
    );
    expect(rs).toStrictEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-abc',
        creationTimestamp: null,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      },
      status: { replicas: 0, observedGeneration: 4 },
    });
  });

  it('Eviction with DeleteOptions', () => {
    const ev = decodeK8sProtobuf(
      envelope(
        'policy/v1',
        'Eviction',
        msg((w) => {
          bytes(w, 1, meta('web-1', (m) => str(m, 3, 'default')));
          bytes(w, 2, msg((d) => (int(d, 1, 0), bytes(d, 2, msg((p) => str(p, 1, 'uid-1'))), str(d, 4, 'Background'), str(d, 5, 'All'))));
        }),
      ),
    );
    expect(ev).toStrictEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'web-1', namespace: 'default', creationTimestamp: null },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, propagationPolicy: 'Background', dryRun: ['All'] },
    });
  });
});
