import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';

// Issue 7 items 3, 4, 9 and 10 against the real API server and the real kubectl: bodies are decoded
// as kube-apiserver decodes them into its Go types before any work is done.

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster({});
});
afterAll(async () => {
  await tc?.stop();
});

const post = (path: string, body: unknown, q = '') => tc.request('POST', `${path}${q}`, body);

describe('metadata and spec field types (items 3 and 4)', () => {
  it('labels, annotations and finalizers of the wrong JSON type are 400s naming the Go field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'a', labels: 'app=web' }, 'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string'],
      [{ name: 'a', labels: 7 }, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type map[string]string'],
      [{ name: 'a', labels: { app: { nested: 1 } } }, 'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.labels of type string'],
      [{ name: 'a', annotations: { n: 1 } }, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.annotations of type string'],
      [{ name: 'a', finalizers: 'x' }, 'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type []string'],
    ];
    for (const [metadata, error] of cases) {
      const r = await post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata });
      expect(r.status, JSON.stringify(metadata)).toBe(400);
      expect(r.json.message).toBe(`ConfigMap in version "v1" cannot be handled as a ConfigMap: ${error}`);
    }
  });

  it('a 2 MB string as labels is refused before any work, dry run or not, and nothing is stored', async () => {
    const big = 'x'.repeat(2_000_000);
    for (const q of ['?dryRun=All', '']) {
      const r = await post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'big', labels: big } }, q);
      expect(r.status).toBe(400);
      expect(r.json.reason).toBe('BadRequest');
    }
    expect((await tc.request('GET', '/api/v1/namespaces/default/configmaps/big')).status).toBe(404);
  });

  it('containers as an object (not a list) is a 400, not a 500', async () => {
    const r = await post('/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: { a: 1 } } });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container');
  });

  it('a number where an int32 is declared must be whole', async () => {
    const r = await post('/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'd' }, spec: { replicas: 1.5 } });
    expect(r.status).toBe(400);
    expect(r.json.message).toContain('cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
  });

  it('a PATCH that makes a field the wrong type is refused and changes nothing', async () => {
    await tc.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typed}\ndata: {a: b}\n' });
    const before = await tc.request('GET', '/api/v1/namespaces/default/configmaps/typed');
    const r = await tc.request('PATCH', '/api/v1/namespaces/default/configmaps/typed', { metadata: { labels: 'oops' } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(r.status).toBe(422);
    expect(r.json.message).toContain('cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string');
    const after = await tc.request('GET', '/api/v1/namespaces/default/configmaps/typed');
    expect(after.json.metadata.resourceVersion).toBe(before.json.metadata.resourceVersion);
  });
});

describe('fieldValidation (item 9)', () => {
  const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: strict-web}\nspec:\n  selector: {matchLabels: {app: w}}\n  foo: 1\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      containers: [{name: c, image: nginx, bar: true}]\n';

  it('kubectl apply (Strict, its default) refuses unknown fields and names them', async () => {
    const r = await tc.kubectl(['apply', '-f', '-'], { input: manifest });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"');
    expect((await tc.request('GET', '/apis/apps/v1/namespaces/default/deployments/strict-web')).status).toBe(404);
  });

  it('--validate=warn creates the object without the unknown fields and prints a warning per field', async () => {
    const r = await tc.kubectl(['apply', '--validate=warn', '-f', '-'], { input: manifest });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(r.stderr).toContain('Warning: unknown field "spec.template.spec.containers[0].bar"');
    const d = await tc.request('GET', '/apis/apps/v1/namespaces/default/deployments/strict-web');
    expect(d.json.spec.foo).toBeUndefined();
    expect(d.json.spec.template.spec.containers[0].bar).toBeUndefined();
  });

  it('Ignore drops unknown fields silently; Strict refuses duplicate fields in the raw JSON', async () => {
    const ignored = await tc.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Ignore', { metadata: { name: 'ign' }, data: { a: 'b' }, extra: 1 });
    expect(ignored.status).toBe(201);
    expect(ignored.headers.get('warning')).toBeNull();
    expect(ignored.json.extra).toBeUndefined();
    const dup = await tc.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', '{"metadata":{"name":"dup","name":"dup2"},"data":{}}');
    expect(dup.status).toBe(400);
    expect(dup.json.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name"');
    const warned = await tc.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Warn', { metadata: { name: 'warned' }, extra: 1 });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"extra\\""');
  });

  it('an unsupported fieldValidation value is a 422 about the options', async () => {
    const r = await tc.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=strict', { metadata: { name: 'x' } });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
  });

  it('server-side apply refuses fields the type does not declare, with a 400', async () => {
    const r = await tc.kubectl(['apply', '--server-side', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa-unknown}\ndata: {a: b}\nwhat: 1\n' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('failed to create typed patch object (/v1, Kind=ConfigMap): .what: field not declared in schema');
  });
});

describe('bodies of the wrong kind (item 10)', () => {
  it('a Pod posted to namespaces cannot be handled as a Namespace', async () => {
    const r = await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe('Pod in version "v1" cannot be handled as a Namespace: converting (v1.Pod) to (core.Namespace): unknown conversion');
  });

  it('a body that is not JSON at all is unrecognized', async () => {
    const r = await post('/api/v1/namespaces', 'hello');
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'h' looking for beginning of value (68656c6c6f)");
    expect(r.text.endsWith('\n')).toBe(true);
  });
});
