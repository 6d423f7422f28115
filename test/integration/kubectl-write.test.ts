import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { getJSON, kubectlInBackground, writeManifest, type Doc } from '../helpers/kubectlTools.js';

// Writes through the real kubectl: client-side and server-side apply, create, replace, the three
// patch types, label/annotate, scale, delete (which waits for the object to be gone), wait
// --for=delete, and describe.

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});

afterAll(async () => {
  await c?.stop();
});

function deployment(name: string, opts: { image?: string; env?: string; ports?: boolean; replicas?: number } = {}): string {
  const { image = 'nginx:1.25', env = '1', ports = true, replicas = 2 } = opts;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: nginx
        image: ${image}
        env: [{name: A, value: "${env}"}]
${ports ? '        ports: [{containerPort: 80, name: http}, {containerPort: 9090, name: metrics}]\n' : ''}`;
}

describe('kubectl apply (client-side)', () => {
  it('created, unchanged, configured, with the change really applied', async () => {
    const v1 = writeManifest(c, 'web-v1.yaml', deployment('web'));
    expect(await c.kubectlOK(['apply', '-f', v1])).toBe('deployment.apps/web created\n');
    const created = await getJSON(c, 'deploy', 'web');
    expect(created.metadata.generation).toBe(1);
    const lastApplied = JSON.parse(created.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    expect(lastApplied).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } });

    expect(await c.kubectlOK(['apply', '-f', v1])).toBe('deployment.apps/web unchanged\n');
    const same = await getJSON(c, 'deploy', 'web');
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

    // New image and env value, and the ports list dropped from the manifest.
    const v2 = writeManifest(c, 'web-v2.yaml', deployment('web', { image: 'nginx:1.27', env: '2', ports: false }));
    expect(await c.kubectlOK(['apply', '-f', v2])).toBe('deployment.apps/web configured\n');
    const updated = await getJSON(c, 'deploy', 'web');
    const ctr = updated.spec.template.spec.containers[0];
    expect(ctr.image).toBe('nginx:1.27');
    expect(ctr.env).toEqual([{ name: 'A', value: '2' }]);
    expect(ctr.ports).toBeUndefined();
    expect(updated.metadata.generation).toBe(2);
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    // A field set by someone else (not in last-applied) survives a re-apply.
    await c.kubectlOK(['label', 'deploy', 'web', 'owner=ops']);
    expect(await c.kubectlOK(['apply', '-f', v2])).toBe('deployment.apps/web unchanged\n');
    expect((await getJSON(c, 'deploy', 'web')).metadata.labels).toEqual({ app: 'web', owner: 'ops' });
  });

  it('applies a multi-document file and a directory-style list, reporting each object', async () => {
    const file = writeManifest(
      c,
      'multi.yaml',
      `apiVersion: v1
kind: Namespace
metadata: {name: multi}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: multi}
data: {mode: fast}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: multi}
spec:
  selector: {app: api}
  ports: [{port: 443, targetPort: 8443}]
`,
    );
    expect(await c.kubectlOK(['apply', '-f', file])).toBe('namespace/multi created\nconfigmap/settings created\nservice/api created\n');
    expect(await c.kubectlOK(['apply', '-f', file])).toBe('namespace/multi unchanged\nconfigmap/settings unchanged\nservice/api unchanged\n');
    const svc = await getJSON(c, 'svc', 'api', '-n', 'multi');
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec.ports[0]).toEqual({ port: 443, protocol: 'TCP', targetPort: 8443 });
  });

  it('--dry-run=server validates and defaults without persisting', async () => {
    const file = writeManifest(c, 'dry.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dry}\ndata: {a: b}\n');
    expect(await c.kubectlOK(['apply', '-f', file, '--dry-run=server'])).toBe('configmap/dry created (server dry run)\n');
    const r = await c.kubectl(['get', 'cm', 'dry']);
    expect(r.stderr).toBe('Error from server (NotFound): configmaps "dry" not found\n');
  });
});

describe('kubectl apply --server-side', () => {
  it('creates, re-applies, and removes a field dropped from the manifest', async () => {
    const v1 = writeManifest(c, 'ssa-v1.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {team: a, tier: web}\ndata: {k1: v1, k2: v2}\n');
    expect(await c.kubectlOK(['apply', '--server-side', '-f', v1])).toBe('configmap/ssa serverside-applied\n');
    const first = await getJSON(c, 'cm', 'ssa', '--show-managed-fields');
    expect(first.data).toEqual({ k1: 'v1', k2: 'v2' });
    expect(first.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' }),
    ]);
    expect(first.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();

    expect(await c.kubectlOK(['apply', '--server-side', '-f', v1])).toBe('configmap/ssa serverside-applied\n');
    expect((await getJSON(c, 'cm', 'ssa')).metadata.resourceVersion).toBe(first.metadata.resourceVersion);

    const v2 = writeManifest(c, 'ssa-v2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {team: a}\ndata: {k1: v1-changed}\n');
    expect(await c.kubectlOK(['apply', '--server-side', '-f', v2])).toBe('configmap/ssa serverside-applied\n');
    const second = await getJSON(c, 'cm', 'ssa');
    expect(second.data).toEqual({ k1: 'v1-changed' });
    expect(second.metadata.labels).toEqual({ team: 'a' });
  });

  it('removes dropped list entries by their merge keys (containers, env, ports)', async () => {
    const manifest = (full: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssd}
spec:
  replicas: ${full ? 2 : 3}
  selector: {matchLabels: {app: ssd}}
  template:
    metadata: {labels: {app: ssd}}
    spec:
      containers:
      - name: app
        image: nginx:1.25
        env: [{name: A, value: "1"}${full ? ', {name: B, value: "2"}' : ''}]
        ports: [{containerPort: 80}${full ? ', {containerPort: 9090}' : ''}]
${full ? '      - name: sidecar\n        image: busybox:1.36\n' : ''}`;
    expect(await c.kubectlOK(['apply', '--server-side', '-f', '-'], { input: manifest(true) })).toBe('deployment.apps/ssd serverside-applied\n');
    expect((await getJSON(c, 'deploy', 'ssd')).spec.template.spec.containers.map((x: Doc) => x.name)).toEqual(['app', 'sidecar']);
    expect(await c.kubectlOK(['apply', '--server-side', '-f', '-'], { input: manifest(false) })).toBe('deployment.apps/ssd serverside-applied\n');
    const d = await getJSON(c, 'deploy', 'ssd');
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(2);
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'app', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }] }),
    ]);
  });

  it('keeps fields owned by another manager and reports conflicts unless --force-conflicts', async () => {
    const v1 = writeManifest(c, 'ssa-own.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {mine: "1", common: a}\n');
    await c.kubectlOK(['apply', '--server-side', '-f', v1]);
    await c.kubectlOK(['patch', 'cm', 'shared', '--type', 'merge', '-p', '{"data":{"theirs":"x","common":"b"}}']);
    const r = await c.kubectl(['apply', '--server-side', '-f', v1]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.common\n');
    expect(r.stderr).toContain('--force-conflicts');
    expect(await c.kubectlOK(['apply', '--server-side', '--force-conflicts', '-f', v1])).toBe('configmap/shared serverside-applied\n');
    expect((await getJSON(c, 'cm', 'shared')).data).toEqual({ mine: '1', common: 'a', theirs: 'x' });
  });
});

describe('kubectl create / replace', () => {
  it('kubectl create <kind> (kubectl sends these bodies as protobuf)', async () => {
    expect(await c.kubectlOK(['create', 'namespace', 'made'])).toBe('namespace/made created\n');
    expect(await c.kubectlOK(['create', 'configmap', 'made', '-n', 'made', '--from-literal=a=1', '--from-literal=b=two'])).toBe('configmap/made created\n');
    expect(await c.kubectlOK(['create', 'secret', 'generic', 'made', '-n', 'made', '--from-literal=password=s3cret'])).toBe('secret/made created\n');
    expect(await c.kubectlOK(['create', 'deployment', 'made', '-n', 'made', '--image=nginx:1.25', '--replicas=2', '--port=80'])).toBe('deployment.apps/made created\n');
    expect((await getJSON(c, 'cm', 'made', '-n', 'made')).data).toEqual({ a: '1', b: 'two' });
    expect(Buffer.from((await getJSON(c, 'secret', 'made', '-n', 'made')).data.password, 'base64').toString()).toBe('s3cret');
    const d = await getJSON(c, 'deploy', 'made', '-n', 'made');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'made' } });
    expect(d.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] })]);
    const again = await c.kubectl(['create', 'configmap', 'made', '-n', 'made']);
    expect(again.stderr).toBe('error: failed to create configmap: configmaps "made" already exists\n');
  });


  it('create -f, then AlreadyExists on a second create', async () => {
    const file = writeManifest(c, 'x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: "1"}\n');
    expect(await c.kubectlOK(['create', '-f', file])).toBe('configmap/x created\n');
    const again = await c.kubectl(['create', '-f', file]);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(`Error from server (AlreadyExists): error when creating "${file}": configmaps "x" already exists\n`);
  });

  it('replace -f swaps the whole object', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rep, labels: {keep: "no"}}\ndata: {a: "1", b: "2"}\n' });
    const file = writeManifest(c, 'rep.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rep}\ndata: {c: "3"}\n');
    expect(await c.kubectlOK(['replace', '-f', file])).toBe('configmap/rep replaced\n');
    const cm = await getJSON(c, 'cm', 'rep');
    expect(cm.data).toEqual({ c: '3' });
    expect(cm.metadata.labels).toBeUndefined();
    const missing = writeManifest(c, 'rep-missing.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rep-missing}\ndata: {c: "3"}\n');
    const r = await c.kubectl(['replace', '-f', missing]);
    expect(r.stderr).toBe(`Error from server (NotFound): error when replacing "${missing}": configmaps "rep-missing" not found\n`);
  });

  it('replace --force deletes and re-creates', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: forced}\ndata: {a: "1"}\n' });
    const before = await getJSON(c, 'cm', 'forced');
    const file = writeManifest(c, 'forced.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: forced}\ndata: {a: "2"}\n');
    expect(await c.kubectlOK(['replace', '--force', '-f', file])).toBe('configmap "forced" deleted\nconfigmap/forced replaced\n');
    const after = await getJSON(c, 'cm', 'forced');
    expect(after.data).toEqual({ a: '2' });
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  });
});

describe('kubectl patch', () => {
  beforeAll(async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('patchme') });
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pcm}\ndata: {a: "1", b: "2"}\n' });
  });

  it('strategic merge (the default) merges containers by name and env by name', async () => {
    const out = await c.kubectlOK(['patch', 'deployment', 'patchme', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"B","value":"x"}]}]}}}}']);
    expect(out).toBe('deployment.apps/patchme patched\n');
    const ctr = (await getJSON(c, 'deploy', 'patchme')).spec.template.spec.containers;
    expect(ctr).toHaveLength(1);
    expect(ctr[0].image).toBe('nginx:1.25');
    expect(ctr[0].env).toEqual([
      { name: 'B', value: 'x' },
      { name: 'A', value: '1' },
    ]);
    expect(ctr[0].ports.map((p: Doc) => p.containerPort)).toEqual([80, 9090]);

    // $patch: delete removes one element by its merge key.
    await c.kubectlOK(['patch', 'deploy', 'patchme', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":9090,"$patch":"delete"}]}]}}}}']);
    const after = (await getJSON(c, 'deploy', 'patchme')).spec.template.spec.containers[0];
    expect(after.ports).toEqual([{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
  });

  it('an unchanged result is reported as "patched (no change)"', async () => {
    expect(await c.kubectlOK(['patch', 'cm', 'pcm', '-p', '{"data":{"a":"1"}}'])).toBe('configmap/pcm patched (no change)\n');
  });

  it('merge patch replaces lists and deletes keys set to null', async () => {
    expect(await c.kubectlOK(['patch', 'cm', 'pcm', '--type', 'merge', '-p', '{"data":{"a":null,"c":"3"}}'])).toBe('configmap/pcm patched\n');
    expect((await getJSON(c, 'cm', 'pcm')).data).toEqual({ b: '2', c: '3' });
    await c.kubectlOK(['patch', 'deploy', 'patchme', '--type', 'merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}']);
    const ctr = (await getJSON(c, 'deploy', 'patchme')).spec.template.spec.containers[0];
    expect(ctr.image).toBe('nginx:1.27');
    expect(ctr.env).toBeUndefined(); // the whole containers list was replaced
  });

  it('JSON patch applies operations in order; a failed test is a 422', async () => {
    const out = await c.kubectlOK(['patch', 'cm', 'pcm', '--type', 'json', '-p', '[{"op":"add","path":"/data/d","value":"4"},{"op":"remove","path":"/data/b"},{"op":"replace","path":"/data/c","value":"33"}]']);
    expect(out).toBe('configmap/pcm patched\n');
    expect((await getJSON(c, 'cm', 'pcm')).data).toEqual({ c: '33', d: '4' });
    const failed = await c.kubectl(['patch', 'cm', 'pcm', '--type', 'json', '-p', '[{"op":"test","path":"/data/c","value":"nope"}]']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe('The request is invalid: the server rejected our request due to an error in our request\n');
    const bad = await c.kubectl(['patch', 'cm', 'pcm', '--type', 'json', '-p', '{"op":"add"}']);
    expect(bad.code).toBe(1);
  });

  it('patching a missing object is NotFound', async () => {
    const r = await c.kubectl(['patch', 'deploy', 'ghost', '-p', '{"spec":{"replicas":1}}']);
    expect(r.stderr).toBe('Error from server (NotFound): deployments.apps "ghost" not found\n');
  });
});

describe('kubectl label / annotate', () => {
  beforeAll(async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: lbl, labels: {app: lbl}}\nspec: {containers: [{name: c, image: busybox}]}\n' });
  });

  it('adds, refuses to overwrite without --overwrite, overwrites, removes', async () => {
    expect(await c.kubectlOK(['label', 'pod', 'lbl', 'env=prod'])).toBe('pod/lbl labeled\n');
    const refused = await c.kubectl(['label', 'pod', 'lbl', 'env=dev']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("error: 'env' already has a value (prod), and --overwrite is false\n");
    expect((await getJSON(c, 'pod', 'lbl')).metadata.labels).toEqual({ app: 'lbl', env: 'prod' });
    expect(await c.kubectlOK(['label', 'pod', 'lbl', 'env=dev', '--overwrite'])).toBe('pod/lbl labeled\n');
    expect((await getJSON(c, 'pod', 'lbl')).metadata.labels).toEqual({ app: 'lbl', env: 'dev' });
    expect(await c.kubectlOK(['label', 'pod', 'lbl', 'env-'])).toBe('pod/lbl unlabeled\n');
    expect((await getJSON(c, 'pod', 'lbl')).metadata.labels).toEqual({ app: 'lbl' });
    const invalid = await c.kubectl(['label', 'pod', 'lbl', 'bad=-x-']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('-x-');
  });

  it('labels every object matched by a selector', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: l1, labels: {set: s}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: l2, labels: {set: s}}\n' });
    expect(await c.kubectlOK(['label', 'cm', '-l', 'set=s', 'stamped=yes'])).toBe('configmap/l1 labeled\nconfigmap/l2 labeled\n');
    expect(await c.kubectlOK(['get', 'cm', '-l', 'stamped=yes', '-o', 'name'])).toBe('configmap/l1\nconfigmap/l2\n');
  });

  it('annotate adds, needs --overwrite to change, removes', async () => {
    expect(await c.kubectlOK(['annotate', 'pod', 'lbl', 'note=hello world'])).toBe('pod/lbl annotated\n');
    expect((await getJSON(c, 'pod', 'lbl')).metadata.annotations.note).toBe('hello world');
    const refused = await c.kubectl(['annotate', 'pod', 'lbl', 'note=other']);
    expect(refused.stderr).toBe("error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello world)\n");
    expect(await c.kubectlOK(['annotate', 'pod', 'lbl', 'note=other', '--overwrite'])).toBe('pod/lbl annotated\n');
    expect((await getJSON(c, 'pod', 'lbl')).metadata.annotations.note).toBe('other');
    expect(await c.kubectlOK(['annotate', 'pod', 'lbl', 'note-'])).toBe('pod/lbl annotated\n');
    expect((await getJSON(c, 'pod', 'lbl')).metadata.annotations?.note).toBeUndefined();
  });
});

describe('kubectl scale', () => {
  beforeAll(async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('scaled', { replicas: 2 }) });
  });

  it('scales through the scale subresource and bumps the generation', async () => {
    const before = await getJSON(c, 'deploy', 'scaled');
    expect(await c.kubectlOK(['scale', 'deploy', 'scaled', '--replicas=5'])).toBe('deployment.apps/scaled scaled\n');
    const after = await getJSON(c, 'deploy', 'scaled');
    expect(after.spec.replicas).toBe(5);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(await c.kubectlOK(['scale', '--replicas=0', 'deployment/scaled'])).toBe('deployment.apps/scaled scaled\n');
    expect((await getJSON(c, 'deploy', 'scaled')).spec.replicas).toBe(0);
  });

  it('--current-replicas is a precondition', async () => {
    await c.kubectlOK(['scale', 'deploy', 'scaled', '--replicas=3']);
    const mismatch = await c.kubectl(['scale', 'deploy', 'scaled', '--replicas=4', '--current-replicas=2']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe('error: Expected replicas to be 2, was 3\n');
    expect((await getJSON(c, 'deploy', 'scaled')).spec.replicas).toBe(3);
    expect(await c.kubectlOK(['scale', 'deploy', 'scaled', '--replicas=4', '--current-replicas=3'])).toBe('deployment.apps/scaled scaled\n');
    expect((await getJSON(c, 'deploy', 'scaled')).spec.replicas).toBe(4);
  });

  it('--resource-version must match the live object', async () => {
    const rv = (await getJSON(c, 'deploy', 'scaled')).metadata.resourceVersion;
    await c.kubectlOK(['annotate', 'deploy', 'scaled', 'bump=1']);
    const now = (await getJSON(c, 'deploy', 'scaled')).metadata.resourceVersion;
    const stale = await c.kubectl(['scale', 'deploy', 'scaled', '--replicas=1', `--resource-version=${rv}`]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(`error: Expected resource version to be ${rv}, was ${now}\n`);
    expect(await c.kubectlOK(['scale', 'deploy', 'scaled', '--replicas=1', `--resource-version=${now}`])).toBe('deployment.apps/scaled scaled\n');
  });

  it('scales replicasets and rejects a negative count', async () => {
    await c.kubectlOK(['apply', '-f', '-'], {
      input: 'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs1}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: rs1}}\n  template:\n    metadata: {labels: {app: rs1}}\n    spec: {containers: [{name: c, image: busybox}]}\n',
    });
    expect(await c.kubectlOK(['scale', 'rs', 'rs1', '--replicas=3'])).toBe('replicaset.apps/rs1 scaled\n');
    expect((await getJSON(c, 'rs', 'rs1')).spec.replicas).toBe(3);
    const neg = await c.kubectl(['scale', 'rs', 'rs1', '--replicas=-1']);
    expect(neg.code).toBe(1);
    expect(neg.stderr).toBe('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n');
  });
});

describe('kubectl delete waits until the object is gone', () => {
  it('a configmap held by a finalizer: kubectl returns only after the finalizer is removed', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\ndata: {a: "1"}\n' });
    const del = kubectlInBackground(c, ['delete', 'configmap', 'held'], { timeoutMs: 20_000 });
    await del.waitFor(/configmap "held" deleted/);
    // A positive control: the same command for an object nothing holds, started after this one
    // printed, goes all the way through; this one is still waiting for the object to disappear.
    await c.kubectlOK(['create', 'configmap', 'held-control']);
    expect(await c.kubectlOK(['delete', 'configmap', 'held-control'])).toBe('configmap "held-control" deleted\n');
    expect(del.done()).toBe(false);
    const live = await getJSON(c, 'cm', 'held');
    expect(live.metadata.deletionTimestamp).toBeDefined();
    expect(live.metadata.finalizers).toEqual(['example.com/hold']);
    await c.kubectlOK(['patch', 'cm', 'held', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    const r = await del.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('configmap "held" deleted\n');
    expect(r.stderr).toBe('');
    expect((await c.kubectl(['get', 'cm', 'held'])).stderr).toBe('Error from server (NotFound): configmaps "held" not found\n');
  });

  it('a deployment: deleted at once without finalizers, and waited for with one', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('gone') });
    expect(await c.kubectlOK(['delete', 'deployment', 'gone'])).toBe('deployment.apps "gone" deleted\n');
    expect((await c.kubectl(['get', 'deploy', 'gone'])).stderr).toBe('Error from server (NotFound): deployments.apps "gone" not found\n');

    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('slow') });
    await c.kubectlOK(['patch', 'deploy', 'slow', '--type', 'merge', '-p', '{"metadata":{"finalizers":["example.com/cleanup"]}}']);
    const del = kubectlInBackground(c, ['delete', 'deploy/slow'], { timeoutMs: 20_000 });
    await del.waitFor(/deployment.apps "slow" deleted/);
    // The control: deleting a deployment nothing holds (as above) finishes meanwhile.
    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('slow-control') });
    await c.kubectlOK(['delete', 'deploy/slow-control']);
    expect(del.done()).toBe(false);
    await c.kubectlOK(['patch', 'deploy', 'slow', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await del.exited;
    expect(r.code).toBe(0);
    expect((await c.kubectl(['get', 'deploy', 'slow'])).code).toBe(1);
  });

  it('--timeout gives up while the object is still there', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stuck, finalizers: [example.com/hold]}\n' });
    const r = await c.kubectl(['delete', 'cm', 'stuck', '--timeout=1s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('configmap "stuck" deleted\n');
    // (client-go may also log a "very short watch" warning when its 1 s deadline cuts the watch.)
    expect(r.stderr).toMatch(/(^|\n)error: timed out waiting for the condition on configmaps\/stuck\n$/);
    await c.kubectlOK(['patch', 'cm', 'stuck', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
  });

  it('delete -l deletes every match', async () => {
    await c.kubectlOK(['apply', '-f', '-'], {
      input: [1, 2, 3].map((i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: batch-${i}, labels: {batch: b1}}\n`).join('---\n') + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, labels: {batch: b2}}\n',
    });
    expect(await c.kubectlOK(['delete', 'configmaps', '-l', 'batch=b1'])).toBe('configmap "batch-1" deleted\nconfigmap "batch-2" deleted\nconfigmap "batch-3" deleted\n');
    const left = await c.kubectl(['get', 'cm', '-l', 'batch']);
    expect(left.stdout).toMatch(/^NAME\s+DATA\s+AGE\nother\s+0\s+\d+s\n$/);
    const none = await c.kubectl(['delete', 'cm', '-l', 'batch=b1']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('No resources found\n');
  });

  it('kubectl wait --for=delete returns once the object is gone', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: waited, finalizers: [example.com/hold]}\n' });
    expect(await c.kubectlOK(['delete', 'cm', 'waited', '--wait=false'])).toBe('configmap "waited" deleted\n');
    const w = kubectlInBackground(c, ['wait', '--for=delete', 'configmap/waited', '--timeout=20s'], { timeoutMs: 25_000 });
    // The control: the same wait, started after, on an object that does go, is met; this one is not.
    await c.kubectlOK(['create', 'configmap', 'waited-control']);
    const control = kubectlInBackground(c, ['wait', '--for=delete', 'configmap/waited-control', '--timeout=20s'], { timeoutMs: 25_000 });
    await c.kubectlOK(['delete', 'cm', 'waited-control']);
    expect((await control.exited).code).toBe(0);
    expect(w.done()).toBe(false);
    await c.kubectlOK(['patch', 'cm', 'waited', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    const r = await w.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('configmap/waited condition met\n');

    const timeout = await c.kubectl(['wait', '--for=delete', 'configmap/pcm', '--timeout=1s']);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toContain('error: timed out waiting for the condition on configmaps/pcm\n');
  });
});

describe('kubectl describe', () => {
  it('deployment: template, owned ReplicaSet and events', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: deployment('desc', { replicas: 2 }) });
    const d = await getJSON(c, 'deploy', 'desc');
    const template = d.spec.template;
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'desc-5d8f7c9b4',
        labels: { app: 'desc', 'pod-template-hash': '5d8f7c9b4' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'desc', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'desc', 'pod-template-hash': '5d8f7c9b4' } },
        template: { ...template, metadata: { labels: { ...template.metadata.labels, 'pod-template-hash': '5d8f7c9b4' } } },
      },
    };
    await c.kubectlOK(['create', '-f', '-'], { input: JSON.stringify(rs) });
    const st = await c.request('PATCH', '/apis/apps/v1/namespaces/default/replicasets/desc-5d8f7c9b4/status', { status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(st.status).toBe(200);
    const when = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await c.kubectlOK(['apply', '-f', '-'], {
      input: yaml.dump({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'desc.180a1b2c3d4e5f60' },
        involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'desc', namespace: 'default', uid: d.metadata.uid },
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set desc-5d8f7c9b4 to 2',
        type: 'Normal',
        source: { component: 'deployment-controller' },
        firstTimestamp: when,
        lastTimestamp: when,
        count: 1,
      }),
    });

    const out = await c.kubectlOK(['describe', 'deployment', 'desc']);
    expect(out).toMatch(/^Name:\s+desc\n/);
    expect(out).toMatch(/^Namespace:\s+default$/m);
    expect(out).toMatch(/^Labels:\s+app=desc$/m);
    expect(out).toMatch(/^Selector:\s+app=desc$/m);
    expect(out).toMatch(/^Replicas:\s+2 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(out).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    expect(out).toMatch(/^ {3}nginx:\n {4}Image:\s+nginx:1\.25\n {4}Ports:\s+80\/TCP, 9090\/TCP\n {4}Host Ports:\s+0\/TCP, 0\/TCP$/m);
    expect(out).toMatch(/^ {4}Environment:\n {6}A:\s+1$/m);
    expect(out).toMatch(/^OldReplicaSets:\s+<none>$/m);
    expect(out).toMatch(/^NewReplicaSet:\s+desc-5d8f7c9b4 \(2\/2 replicas created\)$/m);
    expect(out).toMatch(/^Events:\n {2}Type\s+Reason\s+Age\s+From\s+Message\n {2}----\s+------\s+----\s+----\s+-------\n {2}Normal\s+ScalingReplicaSet\s+10m\s+deployment-controller\s+Scaled up replica set desc-5d8f7c9b4 to 2\n$/m);
    // The last-applied annotation is never shown.
    expect(out).toMatch(/^Annotations:\s+<none>$/m);
  });

  it('configmap', async () => {
    // One key each: kubectl prints Data in Go map order, which is random.
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dcm, labels: {a: b}, annotations: {note: hi}}\ndata: {settings: "line1\\nline2"}\nbinaryData: {bin: AAEC}\n' });
    const out = await c.kubectlOK(['describe', 'cm', 'dcm']);
    expect(out).toBe(
      [
        'Name:         dcm',
        'Namespace:    default',
        'Labels:       a=b',
        'Annotations:  note: hi',
        '',
        'Data',
        '====',
        'settings:',
        '----',
        'line1',
        'line2',
        '',
        '',
        'BinaryData',
        '====',
        'bin: 3 bytes',
        '',
        'Events:  <none>',
        '',
      ].join('\n'),
    );
  });

  it('namespace', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: described, labels: {team: blue}}\n' });
    const out = await c.kubectlOK(['describe', 'namespace', 'described']);
    expect(out).toMatch(/^Name:\s+described\n/);
    expect(out).toMatch(/^Labels:\s+kubernetes\.io\/metadata\.name=described\n\s+team=blue$/m);
    expect(out).toMatch(/^Status:\s+Active$/m);
    const missing = await c.kubectl(['describe', 'ns', 'nope']);
    expect(missing.stderr).toBe('Error from server (NotFound): namespaces "nope" not found\n');
  });
});
