import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { kubectlWith, writeManifest } from '../helpers/kubectlTools.js';

// The errors a kubectl user sees, exactly as a real 1.32 cluster produces them: kubectl prints the
// metav1.Status the server returns, so every message below is server text (plus kubectl's own
// framing: "Error from server (Reason): ", "error when creating \"FILE\": ", "The Kind \"name\" is
// invalid: ..."), and kubectl exits 1.

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
  await c.kubectlOK(['apply', '-f', '-'], {
    input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: nginx, image: nginx:1.25}]}
---
apiVersion: v1
kind: Service
metadata: {name: taken}
spec:
  type: NodePort
  ports: [{port: 80, nodePort: 30080}]
`,
  });
});

afterAll(async () => {
  await c?.stop();
});

async function fails(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, { input });
  expect(r.code, `kubectl ${args.join(' ')} should fail; stdout: ${r.stdout}`).toBe(1);
  return r.stderr;
}

describe('NotFound', () => {
  it('get of a missing object', async () => {
    expect(await fails(['get', 'deployment', 'nope'])).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(await fails(['get', 'deploy', 'nope', '-o', 'yaml'])).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(await fails(['get', 'pod', 'nope'])).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect(await fails(['get', 'ingress', 'nope'])).toBe('Error from server (NotFound): ingresses.networking.k8s.io "nope" not found\n');
    expect(await fails(['get', 'node', 'nope'])).toBe('Error from server (NotFound): nodes "nope" not found\n');
    expect(await fails(['get', 'pods', 'a', 'b'])).toBe('Error from server (NotFound): pods "a" not found\nError from server (NotFound): pods "b" not found\n');
  });

  it('delete, describe, label, scale of a missing object', async () => {
    expect(await fails(['delete', 'configmap', 'nope'])).toBe('Error from server (NotFound): configmaps "nope" not found\n');
    expect(await fails(['describe', 'deployment', 'nope'])).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(await fails(['label', 'pod', 'nope', 'a=b'])).toBe('Error from server (NotFound): pods "nope" not found\n');
    // kubectl scale wraps the server's NotFound message in its own text.
    expect(await fails(['scale', 'deploy', 'nope', '--replicas=2'])).toBe('error: no objects passed to scale deployments.apps "nope" not found\n');
    const ignored = await c.kubectl(['delete', 'configmap', 'nope', '--ignore-not-found']);
    expect(ignored).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('creating into a namespace that does not exist', async () => {
    const file = writeManifest(c, 'cm-x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "1"}\n');
    expect(await fails(['create', '-f', file, '-n', 'nope'])).toBe(`Error from server (NotFound): error when creating "${file}": namespaces "nope" not found\n`);
    expect(await fails(['apply', '-f', file, '-n', 'nope'])).toBe(`Error from server (NotFound): error when creating "${file}": namespaces "nope" not found\n`);
    const inFile = writeManifest(c, 'cm-in-nope.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: nope}\n');
    expect(await fails(['create', '-f', inFile])).toBe(`Error from server (NotFound): error when creating "${inFile}": namespaces "nope" not found\n`);
    // Listing in a missing namespace is an empty list, as on a real cluster.
    const list = await c.kubectl(['get', 'pods', '-n', 'nope']);
    expect(list).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in nope namespace.\n' });
  });

  it('an unknown resource type', async () => {
    expect(await fails(['get', 'foos'])).toBe('error: the server doesn\'t have a resource type "foos"\n');
    expect(await fails(['get', 'foos.example.com', 'x'])).toBe('error: the server doesn\'t have a resource type "foos"\n');
  });

  it('an unknown kind in a manifest (with --validate=false: the default validation needs /openapi/v2)', async () => {
    const file = writeManifest(c, 'widget.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
    expect(await fails(['apply', '--validate=false', '-f', file])).toBe(
      `error: resource mapping not found for name: "w" namespace: "" from "${file}": no matches for kind "Widget" in version "example.com/v1"\nensure CRDs are installed first\n`,
    );
  });

  it('get --raw of an unknown path', async () => {
    expect(await fails(['get', '--raw', '/api/v1/namespaces/default/widgets'])).toBe('Error from server (NotFound): the server could not find the requested resource\n');
  });
});

describe('AlreadyExists and Conflict', () => {
  it('create of an existing object', async () => {
    const file = writeManifest(c, 'dup.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "1"}\n');
    await c.kubectlOK(['create', '-f', file]);
    expect(await fails(['create', '-f', file])).toBe(`Error from server (AlreadyExists): error when creating "${file}": configmaps "x" already exists\n`);
  });

  it('replace with a stale resourceVersion', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stale}\ndata: {v: "1"}\n' });
    const snapshot = await c.kubectlOK(['get', 'cm', 'stale', '-o', 'yaml']);
    expect(snapshot).toMatch(/resourceVersion: "\d+"/);
    await c.kubectlOK(['patch', 'cm', 'stale', '--type', 'merge', '-p', '{"data":{"v":"2"}}']);
    const file = writeManifest(c, 'stale.yaml', snapshot.replace('v: "1"', 'v: "3"'));
    expect(await fails(['replace', '-f', file])).toBe(
      `Error from server (Conflict): error when replacing "${file}": Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again\n`,
    );
    expect(await c.kubectlOK(['get', 'cm', 'stale', '-o', 'jsonpath={.data.v}'])).toBe('2');
  });

  it('the same Conflict on the wire is a 409 Status naming the resource', async () => {
    const live = (await c.request('GET', '/api/v1/namespaces/default/configmaps/stale')).json;
    const r = await c.request('PUT', '/api/v1/namespaces/default/configmaps/stale', { ...live, metadata: { ...live.metadata, resourceVersion: '1' } });
    expect(r.status).toBe(409);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'stale', kind: 'configmaps' },
      code: 409,
    });
  });
});

describe('Invalid (422) with field paths', () => {
  const badDeployment = (replicas: number, image: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec:
      containers:
      - name: nginx
${image ? '        image: nginx\n' : ''}`;

  it('replicas -1 and a missing image: every cause with its field path', async () => {
    const file = writeManifest(c, 'bad.yaml', badDeployment(-1, false));
    expect(await fails(['apply', '-f', file])).toBe(
      'The Deployment "bad" is invalid: \n' +
        '* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n' +
        '* spec.template.spec.containers[0].image: Required value\n',
    );
    expect(await fails(['create', '-f', writeManifest(c, 'bad1.yaml', badDeployment(-1, true))])).toBe(
      'The Deployment "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n',
    );
    expect(await fails(['get', 'deploy', 'bad'])).toBe('Error from server (NotFound): deployments.apps "bad" not found\n');
  });

  it('the 422 Status carries the Kind, the group and one cause per field', async () => {
    const body = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' }, spec: { replicas: -1, selector: { matchLabels: { app: 'bad' } }, template: { metadata: { labels: { app: 'bad' } }, spec: { containers: [{ name: 'nginx' }] } } } };
    const r = await c.request('POST', '/apis/apps/v1/namespaces/default/deployments', body);
    expect(r.status).toBe(422);
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Deployment.apps "bad" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers[0].image: Required value]',
      reason: 'Invalid',
      details: {
        name: 'bad',
        group: 'apps',
        kind: 'Deployment',
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' },
          { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
        ],
      },
      code: 422,
    });
  });

  it('an invalid name', async () => {
    const file = writeManifest(c, 'badname.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n');
    expect(await fails(['create', '-f', file])).toBe(
      `The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n`,
    );
  });

  it('an immutable field: a Deployment selector', async () => {
    const file = writeManifest(
      c,
      'web-sel.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: other}}\n  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: nginx, image: nginx:1.25}]}\n',
    );
    expect(await fails(['apply', '-f', file])).toBe(
      'The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable\n',
    );
  });

  it('scale to a negative count through the API', async () => {
    const r = await c.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: -3 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -3: must be greater than or equal to 0');
  });
});

describe('Services: node ports and cluster IPs', () => {
  const svc = (name: string, spec: string) => writeManifest(c, `${name}.yaml`, `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec:\n${spec}`);

  it('a node port that is already allocated', async () => {
    const file = svc('dup-np', '  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n');
    expect(await fails(['apply', '-f', file])).toBe('The Service "dup-np" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated\n');
    expect(await fails(['get', 'svc', 'dup-np'])).toBe('Error from server (NotFound): services "dup-np" not found\n');
  });

  it('a node port outside the range', async () => {
    const file = svc('low-np', '  type: NodePort\n  ports: [{port: 80, nodePort: 20000}]\n');
    expect(await fails(['apply', '-f', file])).toBe(
      'The Service "low-np" is invalid: spec.ports[0].nodePort: Invalid value: 20000: provided port is not in the valid range. The range of valid ports is 30000-32767\n',
    );
  });

  it('a cluster IP outside the service CIDR', async () => {
    const file = svc('far-ip', '  clusterIP: 10.97.0.10\n  ports: [{port: 80}]\n');
    expect(await fails(['apply', '-f', file])).toBe(
      'The Service "far-ip" is invalid: spec.clusterIPs: Invalid value: []string{"10.97.0.10"}: failed to allocate IP 10.97.0.10: the provided IP (10.97.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/16\n',
    );
  });

  it('a cluster IP that is already allocated (the kubernetes Service holds 10.96.0.1)', async () => {
    const file = svc('dup-ip', '  clusterIP: 10.96.0.1\n  ports: [{port: 80}]\n');
    expect(await fails(['apply', '-f', file])).toBe(
      'The Service "dup-ip" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated\n',
    );
  });

  it('the port freed by a deleted Service can be taken again', async () => {
    await c.kubectlOK(['delete', 'svc', 'taken']);
    const file = svc('retake', '  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n');
    expect(await c.kubectlOK(['apply', '-f', file])).toBe('service/retake created\n');
    expect(await c.kubectlOK(['get', 'svc', 'retake', '-o', 'jsonpath={.spec.ports[0].nodePort}'])).toBe('30080');
  });
});

describe('Forbidden', () => {
  it('deleting a system namespace', async () => {
    expect(await fails(['delete', 'namespace', 'default'])).toBe('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
    expect(await fails(['delete', 'ns', 'kube-system'])).toBe('Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n');
  });

  it('creating into a namespace that is being deleted', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: doomed}\n' });
    // The namespace keeps its "kubernetes" finalizer until the namespace controller empties it.
    expect(await c.kubectlOK(['delete', 'ns', 'doomed', '--wait=false'])).toBe('namespace "doomed" deleted\n');
    expect(await c.kubectlOK(['get', 'ns', 'doomed', '-o', 'jsonpath={.status.phase}'])).toBe('Terminating');
    const file = writeManifest(c, 'late.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: doomed}\n');
    expect(await fails(['create', '-f', file])).toBe(
      `Error from server (Forbidden): error when creating "${file}": configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated\n`,
    );
  });
});

describe('Unauthorized (401)', () => {
  let badKubeconfig: string;

  beforeAll(() => {
    const good = fs.readFileSync(c.kubeconfigPath, 'utf8');
    expect(good).toMatch(/^\s+token: \S+$/m);
    badKubeconfig = path.join(c.dir, 'bad-token.kubeconfig');
    fs.writeFileSync(badKubeconfig, good.replace(/^(\s+token:) \S+$/m, '$1 not-the-admin-token'));
  });

  it('a wrong token, with discovery cached (the common case): "(Unauthorized)"', async () => {
    await c.kubectlOK(['get', 'pods']); // warm the shared discovery cache with the good credentials
    const r = await kubectlWith(c, ['get', 'pods'], { kubeconfig: badKubeconfig });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
    const raw = await kubectlWith(c, ['get', '--raw', '/api/v1/namespaces'], { kubeconfig: badKubeconfig });
    expect(raw.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
  });

  it('a wrong token with a cold cache fails in discovery, which reports the generic 401 text', async () => {
    // client-go's discovery reads raw bodies, so it prints the HTTP-status text rather than the Status message.
    const r = await kubectlWith(c, ['get', 'pods'], { kubeconfig: badKubeconfig, cacheDir: path.join(c.dir, 'cold-cache') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/couldn't get current server API group list: the server has asked for the client to provide credentials/);
    expect(r.stderr).toMatch(/\nerror: You must be logged in to the server \(the server has asked for the client to provide credentials\)\n$/);
  });

  it('the 401 on the wire is an Unauthorized Status; /version and /healthz are public only to anonymous requests', async () => {
    const r = await c.request('GET', '/api/v1/pods', undefined, { Authorization: 'Bearer wrong' });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    // Anonymous (no credentials): allowed, as system:public-info-viewer allows on a real cluster.
    // (kubectl itself cannot be made anonymous here: without credentials it prompts for a password.)
    const anon = { Authorization: '' };
    expect(JSON.parse((await c.request('GET', '/version', undefined, anon)).text)).toMatchObject({ major: '1', minor: '32' });
    expect((await c.request('GET', '/healthz', undefined, anon)).text).toBe('ok');
    expect((await c.request('GET', '/api/v1/namespaces', undefined, anon)).status).toBe(401);
    // A wrong token is rejected before anonymous access is considered, even on public paths.
    const bad = await kubectlWith(c, ['get', '--raw', '/healthz'], { kubeconfig: badKubeconfig });
    expect(bad.stderr).toBe('error: You must be logged in to the server (Unauthorized)\n');
    expect((await c.request('GET', '/version', undefined, { Authorization: 'Bearer wrong' })).status).toBe(401);
  });
});
