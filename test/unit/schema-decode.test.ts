import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESOURCES, resourceByKey, type ResourceDef } from '../../src-main/api/resources.js';
import { ApiError } from '../../src-main/apiserver/status.js';
import { decodeAs, decodeObject, fieldValidationOf, warningHeaders, type FieldValidation } from '../../src-main/apiserver/handlers/decode.js';

// POST/PUT bodies decoded as kube-apiserver 1.32 decodes them (create.go/update.go, the json and
// yaml serializers, sigs.k8s.io/json): kube's exact messages for each kind of mistake.

const pods = resourceByKey('pods')!;
const deployments = resourceByKey('deployments.apps')!;
const namespaces = resourceByKey('namespaces')!;
const secrets = resourceByKey('secrets')!;
const services = resourceByKey('services')!;
const leases = resourceByKey('leases.coordination.k8s.io')!;

const json = (o: unknown): Buffer => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));
const pod = (extra: Record<string, unknown> = {}, spec: Record<string, unknown> = {}) =>
  json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...extra }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } });

function failure(f: () => unknown): { code: number; reason?: string; message?: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, reason: e.status.reason, message: e.status.message };
    throw e;
  }
  throw new Error('expected an ApiError');
}

const decode = (body: Buffer, r: ResourceDef = pods, mode: FieldValidation = 'Strict', ct = 'application/json') => decodeObject(body, ct, r, mode);

describe('decodeObject: a JSON type the Go field cannot hold is a 400', () => {
  const cases: [string, Buffer, ResourceDef, string][] = [
    ['labels as a string', pod({ labels: 'x' }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string'],
    ['labels as a number', pod({ labels: 5 }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type map[string]string'],
    ['a nested object as a label value', pod({ labels: { a: { b: 'c' } } }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field ObjectMeta.metadata.labels of type string'],
    ['a non-string annotation', pod({ annotations: { a: true } }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations of type string'],
    ['finalizers as a string', pod({ finalizers: 'x' }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string'],
    ['containers not an array', pod({}, { containers: { name: 'c' } }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container'],
    ['a number for an enum string', pod({}, { containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 6 }] }] }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ContainerPort.spec.containers.ports.protocol of type v1.Protocol'],
    ['a fraction for an int32', json({ metadata: { name: 'd' }, spec: { replicas: 1.5 } }), deployments, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    ['1.0 for an int32 (Go reads the literal)', json('{"metadata":{"name":"d"},"spec":{"replicas":1.0}}'), deployments, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.0 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    ['an exponent for an int64', json('{"metadata":{"name":"p"},"spec":{"terminationGracePeriodSeconds":3e1}}'), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 3e1 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64'],
    ['an int32 out of range', json({ metadata: { name: 'd' }, spec: { replicas: 2147483648 } }), deployments, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    ['an int64 out of range', json('{"metadata":{"name":"p"},"spec":{"activeDeadlineSeconds":9223372036854775808}}'), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 9223372036854775808 into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64'],
    ['a string for a bool', pod({}, { hostNetwork: 'true' }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool'],
    ['a string for a struct', json({ metadata: { name: 'p' }, spec: 'x' }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec'],
    ['metadata as an array', json({ metadata: [] }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field Pod.metadata of type v1.ObjectMeta'],
    ['a bad quantity', pod({}, { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] }), pods, "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['a bool for an int-or-string', pod({}, { containers: [{ name: 'c', livenessProbe: { httpGet: { port: true } } }] }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32'],
    ['a fraction for an int-or-string', json({ metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 80.5 }] } }), services, 'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.targetPort of type int32'],
    ['a bad timestamp', pod({ creationTimestamp: 'yesterday' }), pods, 'Pod in version "v1" cannot be handled as a Pod: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'],
    ['a month out of range', pod({ creationTimestamp: '2024-13-01T00:00:00Z' }), pods, 'Pod in version "v1" cannot be handled as a Pod: parsing time "2024-13-01T00:00:00Z": month out of range'],
    ['a number for a timestamp', pod({ creationTimestamp: 5 }), pods, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string'],
    ['a MicroTime without microseconds', json({ metadata: { name: 'l' }, spec: { renewTime: '2024-01-01T00:00:00Z' } }), leases, 'Lease in version "v1" cannot be handled as a Lease: parsing time "2024-01-01T00:00:00Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'],
    ['bad base64 in a secret', json({ metadata: { name: 's' }, data: { a: 'abc' } }), secrets, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0'],
    ['a character outside base64', json({ metadata: { name: 's' }, data: { a: 'ab!d' } }), secrets, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 2'],
  ];
  it.each(cases)('%s', (_name, body, r, message) => {
    expect(failure(() => decode(body, r))).toEqual({ code: 400, reason: 'BadRequest', message });
    // The type error does not depend on fieldValidation.
    expect(failure(() => decode(body, r, 'Ignore')).message).toBe(message);
  });

  it('reports the first type error of the document (Go keeps decoding after one)', () => {
    const body = pod({ labels: 1, annotations: 2 });
    expect(failure(() => decode(body)).message).toContain('ObjectMeta.metadata.labels of type map[string]string');
  });

  it('a bad quantity stops decoding at once, even after an earlier type error', () => {
    const body = pod({ labels: 1 }, { containers: [{ name: 'c', resources: { limits: { cpu: 'x' } } }] });
    expect(failure(() => decode(body)).message).toContain('quantities must match');
  });
});

describe('decodeObject: bodies that are not the URL kind', () => {
  const cases: [string, Buffer, ResourceDef, string, string?][] = [
    ['not JSON', json('hello'), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: invalid character 'h' looking for beginning of value (68656c6c6f)`],
    ['an empty body', json(''), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)`],
    ['truncated JSON', json('{"metadata": {"name": "a"'), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: unexpected end of JSON input ({"metadata": {"name": "a")`],
    ['a long body is summarised to 30 bytes', json('{"metadata": {"name": "abcdefghijklmnop", }}'), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of object key string ({"metadata": {"name": "abcdefg ...)`],
    ['an array', json('[]'), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b5d)`],
    ['a non-string apiVersion', json('{"apiVersion":1}'), pods, `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .apiVersion of type string ({"apiVersion":1})`],
    ['an unparsable apiVersion', json({ apiVersion: 'a/b/c', kind: 'Pod' }), pods, `the object provided is unrecognized (must be of type Pod): unexpected GroupVersion string: a/b/c ({"apiVersion":"a/b/c","kind":" ...)`],
    ['another served kind', json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }), namespaces, 'Pod in version "v1" cannot be handled as a Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion'],
    ['a kind of another group', json({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } }), pods, 'Deployment in version "v1" cannot be handled as a Pod: converting (v1.Deployment) to (core.Pod): unknown conversion'],
    ['an unknown kind', json({ apiVersion: 'v1', kind: 'pod' }), pods, 'pod in version "v1" cannot be handled as a Pod: no kind "pod" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"'],
    ['an unserved version', json({ apiVersion: 'apps/v1beta2', kind: 'Deployment' }), deployments, 'Deployment in version "v1beta2" cannot be handled as a Deployment: no kind "Deployment" is registered for version "apps/v1beta2" in scheme "pkg/api/legacyscheme/scheme.go:30"'],
    ['a core apiVersion for an apps kind', json({ apiVersion: 'v1', metadata: { name: 'a' } }), deployments, 'Deployment in version "v1" cannot be handled as a Deployment: no kind "Deployment" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"'],
  ];
  it.each(cases)('%s', (_name, body, r, message) => {
    expect(failure(() => decode(body, r))).toEqual({ code: 400, reason: 'BadRequest', message });
  });

  it('fills in what the body leaves out from the URL, and stores the URL kind', () => {
    const { obj } = decode(json({ metadata: { name: 'd' }, spec: { replicas: 1 } }), deployments);
    expect(obj).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } });
    expect(decode(json({ kind: 'Deployment', metadata: { name: 'd' } }), deployments).obj.apiVersion).toBe('apps/v1');
  });

  it('refuses more than 10000 levels as Go does, without a stack overflow', () => {
    const deep = `{"metadata":{"name":"a","annotations":{"x":${'['.repeat(10001)}${']'.repeat(10001)}}}}`;
    expect(failure(() => decode(json(deep))).message).toBe(
      `the object provided is unrecognized (must be of type Pod): couldn't get version/kind; json parse error: invalid character '[' exceeded max depth ({"metadata":{"name":"a","annot ...)`,
    );
    const ok = `{"metadata":{"name":"a","annotations":{"x":${'['.repeat(9990)}${']'.repeat(9990)}}}}`;
    expect(failure(() => decode(json(ok))).message).toContain('of type string');
  });

  it('answers 415 for a content type it cannot read', () => {
    expect(failure(() => decode(pod(), pods, 'Strict', 'text/plain')).code).toBe(415);
  });
});

describe('decodeObject: unknown and duplicate fields by fieldValidation', () => {
  const body = json('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"foo":1,"containers":[{"name":"c","image":"i","bar":{"x":1}}]}}');
  const findings = ['duplicate field "metadata.name"', 'unknown field "spec.foo"', 'unknown field "spec.containers[0].bar"'];

  it('Strict: 400 listing every finding in document order', () => {
    expect(failure(() => decode(body))).toEqual({ code: 400, reason: 'BadRequest', message: `Pod in version "v1" cannot be handled as a Pod: strict decoding error: ${findings.join(', ')}` });
  });

  it('Warn: the object without the unknown fields, and one warning each', () => {
    const { obj, warnings } = decode(body, pods, 'Warn');
    expect(warnings).toEqual(findings);
    // A repeated key keeps the last value, as Go's decoder does.
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  });

  it('Ignore: the same object, silently', () => {
    expect(decode(body, pods, 'Ignore')).toEqual({ obj: decode(body, pods, 'Warn').obj, warnings: [] });
  });

  it('field names are case-sensitive', () => {
    expect(decode(json({ metadata: { Name: 'a', name: 'b' } }), pods, 'Warn').warnings).toEqual(['unknown field "metadata.Name"']);
  });

  it('a repeated struct key merges into what the first left, as Go decodes into the same struct', () => {
    const { obj, warnings } = decode(json('{"metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"labels":{"y":"2"}}}'), pods, 'Warn');
    expect(warnings).toEqual(['duplicate field "metadata"']);
    expect(obj.metadata).toEqual({ name: 'a', labels: { x: '1', y: '2' } });
  });

  it('reports repeated map keys with their path', () => {
    expect(decode(json('{"metadata":{"labels":{"a":"1","a":"2"}}}'), pods, 'Warn').warnings).toEqual(['duplicate field "metadata.labels.a"']);
  });

  it('reports an unknown field once per place, and at most 100', () => {
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`f${i}`, 1]));
    expect(decode(json({ metadata: { name: 'a' }, ...many }), pods, 'Warn').warnings).toHaveLength(100);
  });

  it('does not look inside undeclared fields or raw JSON', () => {
    const { warnings, obj } = decode(json('{"metadata":{"name":"a","managedFields":[{"manager":"m","fieldsV1":{"f:a":{},"f:a":{}}}]},"extra":{"a":1,"a":2}}'), pods, 'Warn');
    expect(warnings).toEqual(['unknown field "extra"']);
    expect(obj.metadata.managedFields).toEqual([{ manager: 'm', fieldsV1: { 'f:a': {} } }]);
  });
});

describe('decodeObject: what a Go round trip keeps', () => {
  it('drops null fields and omitempty zero values, keeps required ones', () => {
    const { obj } = decode(
      json({ metadata: { name: 'p', creationTimestamp: null, labels: {} }, spec: { hostNetwork: false, nodeName: '', containers: [{ name: '', ports: [{ containerPort: 0, hostPort: 0 }] }], volumes: null }, status: {} }),
    );
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: '', ports: [{ containerPort: 0 }] }] }, status: {} });
  });

  it('keeps pointers to zero values', () => {
    const { obj } = decode(json({ metadata: { name: 'd' }, spec: { replicas: 0, paused: false } }), deployments);
    expect(obj.spec).toEqual({ replicas: 0 });
    expect(decode(pod({}, { priority: 0 })).obj.spec.priority).toBe(0);
  });

  it('gives null map and list elements their zero value', () => {
    const { obj } = decode(json({ metadata: { name: 'p', labels: { a: null } }, spec: { containers: [{ name: 'c', args: [null, 'x'] }] } }));
    expect(obj.metadata.labels).toEqual({ a: '' });
    expect(obj.spec.containers[0].args).toEqual(['', 'x']);
  });

  it('stores quantities, times and bytes in canonical form', () => {
    const p = decode(json({ metadata: { name: 'p', creationTimestamp: '2024-05-01T12:00:00.5+02:00' }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { cpu: 2, memory: '100m' } } }] } })).obj;
    expect(p.metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
    expect(p.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '2', memory: '100m' } });
    const l = decode(json({ metadata: { name: 'l' }, spec: { renewTime: '2024-05-01T10:00:00.123456+01:00' } }), leases).obj;
    expect(l.spec.renewTime).toBe('2024-05-01T09:00:00.123456Z');
    const s = decode(json({ metadata: { name: 's' }, data: { a: 'YR==', b: 'YWJj\nZGVm', c: [104, 105] } }), secrets).obj;
    expect(s.data).toEqual({ a: 'YQ==', b: 'YWJjZGVm', c: 'aGk=' });
  });

  it('keeps int-or-string values as they were given', () => {
    const s = decode(json({ metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } }), services).obj;
    expect(s.spec.ports).toEqual([{ port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }]);
  });

  it('a 2 MB string where a map belongs is refused quickly', () => {
    const big = json({ metadata: { name: 'p', labels: 'x'.repeat(2 * 1024 * 1024) } });
    expect(failure(() => decode(big)).message).toContain('of type map[string]string');
  });
});

describe('decodeObject: YAML bodies', () => {
  const y = (s: string) => Buffer.from(s);
  it('reads YAML as go-yaml v2 does (yes/no booleans, octal, strings for timestamps)', () => {
    const { obj } = decode(y('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {date: 2024-01-01}\nspec:\n  enableServiceLinks: yes\n  containers: [{name: c}]\n  volumes:\n  - name: v\n    secret: {secretName: s, defaultMode: 0644}\n'), pods, 'Strict', 'application/yaml');
    expect(obj.metadata.annotations).toEqual({ date: '2024-01-01' });
    expect(obj.spec.enableServiceLinks).toBe(true);
    expect(obj.spec.volumes[0].secret.defaultMode).toBe(420);
  });

  it('a repeated key is go-yaml strict error, then the JSON findings', () => {
    const body = y('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\nspec:\n  foo: 1\n');
    expect(failure(() => decode(body, pods, 'Strict', 'application/yaml')).message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: yaml: unmarshal errors:\n  line 5: key "name" already set in map, unknown field "spec.foo"',
    );
    expect(decode(body, pods, 'Warn', 'application/yaml').warnings).toEqual(['line 5: key "name" already set in map', 'unknown field "spec.foo"']);
  });

  it('an unreadable YAML body is unrecognized, summarised in hex', () => {
    expect(failure(() => decode(y('a: b: c'), pods, 'Strict', 'application/yaml')).message).toMatch(/^the object provided is unrecognized \(must be of type Pod\): yaml: line 1: .* \(613a20623a2063\)$/);
  });
});

describe('already-decoded bodies (protobuf)', () => {
  it('are checked and normalised without strict findings from the wire', () => {
    const { obj } = decodeObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: {} }, spec: { replicas: 1 } }, 'application/vnd.kubernetes.protobuf', deployments, 'Strict');
    expect(obj).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } });
  });
});

describe('fieldValidationOf', () => {
  it('defaults to Warn and accepts the three directives', () => {
    expect(fieldValidationOf(new URLSearchParams(''))).toBe('Warn');
    expect(fieldValidationOf(new URLSearchParams('fieldValidation='))).toBe('Warn');
    for (const v of ['Strict', 'Warn', 'Ignore']) expect(fieldValidationOf(new URLSearchParams(`fieldValidation=${v}`))).toBe(v);
  });

  it('refuses anything else with the verb options kind', () => {
    const err = (() => {
      try {
        fieldValidationOf(new URLSearchParams('fieldValidation=strict'), 'update');
      } catch (e) {
        return (e as ApiError).status;
      }
    })();
    expect(err).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
      reason: 'Invalid',
      details: { group: 'meta.k8s.io', kind: 'UpdateOptions', causes: [{ reason: 'FieldValueNotSupported', message: 'Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"', field: 'fieldValidation' }] },
      code: 422,
    });
  });
});

describe('decodeAs: subresource and option bodies', () => {
  it('Scale, Binding and Eviction are decoded (and checked) as their own kinds', () => {
    expect(decodeAs(json({ spec: { replicas: 3 } }), 'application/json', 'Scale', 'Strict')).toEqual({ obj: { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 3 } }, warnings: [] });
    expect(failure(() => decodeAs(json({ spec: { replicas: '3' } }), 'application/json', 'Scale', 'Strict')).message).toBe(
      'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal string into Go struct field ScaleSpec.spec.replicas of type int32',
    );
    expect(failure(() => decodeAs(json({ apiVersion: 'v1', kind: 'Binding', target: { name: 'n', nodeName: 'x' } }), 'application/json', 'Binding', 'Strict')).message).toBe(
      'Binding in version "v1" cannot be handled as a Binding: strict decoding error: unknown field "target.nodeName"',
    );
    expect(decodeAs(json({ apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'p' } }), 'application/json', 'Eviction', 'Strict').obj).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } });
  });

  it('DeleteOptions are read without strictness; an undecodable body is a 400 (kube passes it through as a 500)', () => {
    expect(decodeAs(json({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, foo: 1 }), 'application/json', 'DeleteOptions', 'Strict').obj).toEqual({ gracePeriodSeconds: 0 });
    expect(failure(() => decodeAs(json({ gracePeriodSeconds: 'x' }), 'application/json', 'DeleteOptions', 'Strict'))).toEqual({
      code: 400,
      reason: 'BadRequest',
      message: 'json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64',
    });
  });
});

describe('warningHeaders', () => {
  it('quotes as kube does and drops repeats', () => {
    expect(warningHeaders(['unknown field "spec.foo"', 'a\\b', 'unknown field "spec.foo"'])).toEqual(['299 - "unknown field \\"spec.foo\\""', '299 - "a\\\\b"']);
  });

  it('past 4096 runes, cuts every warning to 256 runes and stops at the limit', () => {
    const long = Array.from({ length: 30 }, (_, i) => `${i}:${'x'.repeat(300)}`);
    const h = warningHeaders(long);
    expect(h[0]).toBe(`299 - "0:${'x'.repeat(254)}"`);
    expect(h).toHaveLength(16);
  });
});

describe('bodies real kubectl sent (test/fixtures/protobuf)', () => {
  const dir = path.resolve(__dirname, '../fixtures/protobuf/requests');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'job-unsupported.json');
  it.each(names)('%s decodes strictly, the same from protobuf and from JSON', (name) => {
    const want = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    const [group, version] = want.apiVersion.includes('/') ? want.apiVersion.split('/') : ['', want.apiVersion];
    const r = RESOURCES.find((x) => x.group === group && x.version === version && x.kind === want.kind)!;
    const pb = Buffer.from(fs.readFileSync(path.join(dir, name.replace('.json', '.hex')), 'utf8').replace(/\s+/g, ''), 'hex');
    const fromJSON = decodeObject(json(want), 'application/json', r, 'Strict');
    expect(fromJSON.warnings).toEqual([]);
    expect(decodeObject(pb, 'application/vnd.kubernetes.protobuf', r, 'Strict')).toEqual(fromJSON);
  });
});
