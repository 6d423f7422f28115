import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { getJSON, writeManifest, type Doc } from '../helpers/kubectlTools.js';

// The real kubectl against the real server serving the full OpenAPI v3 schemas: `kubectl explain`
// renders them, and client-side `kubectl apply` builds its strategic merge patch from them (it
// fetches the group-version's document and finds the kind by x-kubernetes-group-version-kind);
// list entries must still merge by their keys (containers, env and volumes by name, ports by
// containerPort, Service ports by port).

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});

afterAll(async () => {
  await c?.stop();
});

describe('the served documents', () => {
  it('/openapi/v3 lists every group-version and each document has the kinds', async () => {
    const root = await c.request('GET', '/openapi/v3');
    expect(root.status).toBe(200);
    const paths = Object.keys(root.json.paths);
    expect(paths).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/networking.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/coordination.k8s.io/v1']));
    const apps = await c.request('GET', root.json.paths['apis/apps/v1'].serverRelativeURL);
    expect(apps.status).toBe(200);
    expect(apps.json.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  });
});

describe('kubectl explain', () => {
  it('shows the fields of a nested type, required fields and enums', async () => {
    const out = await c.kubectlOK(['explain', 'pod.spec.containers']);
    expect(out).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/);
    expect(out).toContain('FIELD: containers <[]Container>');
    expect(out).toMatch(/\n {2}name\t<string> -required-\n/);
    for (const f of ['ports\t<[]ContainerPort>', 'resizePolicy\t<[]ContainerResizePolicy>', 'restartPolicy\t<string>', 'securityContext\t<SecurityContext>', 'volumeMounts\t<[]VolumeMount>']) expect(out).toContain(f);
    expect(out).toContain('enum: Always, IfNotPresent, Never');
  });

  it('names special types and follows a path to a leaf', async () => {
    expect(await c.kubectlOK(['explain', 'service.spec.ports.targetPort'])).toContain('FIELD: targetPort <IntOrString>');
    expect(await c.kubectlOK(['explain', 'pod.spec.containers.resources.limits'])).toContain('FIELD: limits <map[string]Quantity>');
    // Time and MicroTime are strings to explain, as with kube's documents.
    expect(await c.kubectlOK(['explain', 'lease.spec.renewTime'])).toContain('FIELD: renewTime <string>');
  });

  it('prints a whole kind with --recursive, with its group and description', async () => {
    const out = await c.kubectlOK(['explain', 'deployment', '--recursive']);
    expect(out).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
    expect(out).toContain('Declarative updates for pods');
    for (const f of ['maxSurge\t<IntOrString>', 'topologySpreadConstraints\t<[]TopologySpreadConstraint>', 'ephemeralContainers\t<[]EphemeralContainer>', 'progressDeadlineSeconds\t<integer>']) expect(out).toContain(f);
  });

  it('says so for a field that does not exist', async () => {
    const r = await c.kubectl(['explain', 'pod.spec.nothere']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('field "nothere" does not exist');
  });
});

function deployment(opts: { image: string; env: [string, string][]; ports: number[]; volumes: string[]; sidecar?: boolean }): string {
  const env = opts.env.map(([n, v]) => `{name: ${n}, value: "${v}"}`).join(', ');
  const ports = opts.ports.map((p) => `{containerPort: ${p}, name: p${p}}`).join(', ');
  const mounts = opts.volumes.map((v) => `{name: ${v}, mountPath: /${v}}`).join(', ');
  const volumes = opts.volumes.map((v) => `{name: ${v}, emptyDir: {}}`).join(', ');
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: merge, labels: {app: merge}}
spec:
  replicas: 1
  selector: {matchLabels: {app: merge}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: merge}}
    spec:
      initContainers:
      - {name: init, image: busybox, restartPolicy: Always, resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}
      containers:
      - name: app
        image: ${opts.image}
        env: [${env}]
        ports: [${ports}]
        volumeMounts: [${mounts}]
${opts.sidecar ? '      - {name: sidecar, image: busybox}\n' : ''}      volumes: [${volumes}]
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: merge}}}]
`;
}

describe('kubectl apply with the schemas served', () => {
  it('creates, leaves unchanged, and merges list entries by their keys on change', async () => {
    const v1 = writeManifest(c, 'merge-v1.yaml', deployment({ image: 'nginx:1.25', env: [['A', '1'], ['B', '2'], ['C', '3']], ports: [80, 81, 82], volumes: ['a', 'b'], sidecar: true }));
    expect(await c.kubectlOK(['apply', '-f', v1])).toBe('deployment.apps/merge created\n');
    expect(await c.kubectlOK(['apply', '-f', v1])).toBe('deployment.apps/merge unchanged\n');

    // Another writer adds an env var the manifest never had: a three-way merge must keep it.
    await c.kubectlOK(['set', 'env', 'deploy/merge', '-c', 'app', 'EXTRA=x']);

    const v2 = writeManifest(c, 'merge-v2.yaml', deployment({ image: 'nginx:1.27', env: [['A', '1'], ['C', '30'], ['D', '4']], ports: [80, 82, 83], volumes: ['b', 'c'] }));
    const r = await c.kubectl(['apply', '-f', v2, '-v=6']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('deployment.apps/merge configured\n');
    // The patch was computed from the served v3 document, without falling back.
    expect(r.stderr).toContain('/openapi/v3/apis/apps/v1?hash=');
    expect(r.stderr).not.toContain('error calculating patch');
    expect(r.stderr).toMatch(/PATCH https:\/\/[^ ]+\/apis\/apps\/v1\/namespaces\/default\/deployments\/merge\?fieldManager=kubectl-client-side-apply&fieldValidation=Strict 200/);

    const d = await getJSON(c, 'deploy', 'merge');
    const spec = d.spec.template.spec;
    expect(spec.containers.map((x: Doc) => x.name)).toEqual(['app']);
    const app = spec.containers[0];
    expect(app.image).toBe('nginx:1.27');
    expect(app.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'C', value: '30' },
      { name: 'D', value: '4' },
      { name: 'EXTRA', value: 'x' },
    ]);
    expect(app.ports.map((p: Doc) => p.containerPort)).toEqual([80, 82, 83]);
    expect(app.volumeMounts.map((m: Doc) => m.name)).toEqual(['b', 'c']);
    expect(spec.volumes.map((v: Doc) => v.name)).toEqual(['b', 'c']);
    expect(spec.initContainers[0]).toMatchObject({ name: 'init', restartPolicy: 'Always' });
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });

    // Re-applying sends only ordering directives ($setElementOrder, because the live env has the
    // extra entry, exactly as kubectl's built-in patch metadata would) and changes nothing.
    const again = await c.kubectl(['apply', '-f', v2]);
    expect(again.stderr).not.toContain('error calculating patch');
    const same = await getJSON(c, 'deploy', 'merge');
    expect(same.metadata.generation).toBe(d.metadata.generation);
    expect(same.spec).toEqual(d.spec);
  });

  it('merges Service ports by port', async () => {
    const svc = (ports: [number, string][]) => `apiVersion: v1
kind: Service
metadata: {name: merge-svc}
spec:
  selector: {app: merge}
  ports: [${ports.map(([p, t]) => `{name: p${p}, port: ${p}, targetPort: ${t}}`).join(', ')}]
`;
    expect(await c.kubectlOK(['apply', '-f', writeManifest(c, 'svc-v1.yaml', svc([[80, '8080'], [443, 'https']]))])).toBe('service/merge-svc created\n');
    const before = await getJSON(c, 'svc', 'merge-svc');
    const r = await c.kubectl(['apply', '-f', writeManifest(c, 'svc-v2.yaml', svc([[443, 'tls'], [8443, '8443']]))]);
    expect(r.stderr).not.toContain('error calculating patch');
    expect(r.stdout).toBe('service/merge-svc configured\n');
    const after = await getJSON(c, 'svc', 'merge-svc');
    expect(after.spec.ports.map((p: Doc) => [p.port, p.targetPort])).toEqual([
      [443, 'tls'],
      [8443, 8443],
    ]);
    expect(after.spec.clusterIP).toBe(before.spec.clusterIP);
  });

  it('create -f and replace -f still validate on the server', async () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: oa-cm}\ndata: {k: "${v}"}\n`;
    expect(await c.kubectlOK(['create', '-f', writeManifest(c, 'cm1.yaml', cm('1'))])).toBe('configmap/oa-cm created\n');
    expect(await c.kubectlOK(['replace', '-f', writeManifest(c, 'cm2.yaml', cm('2'))])).toBe('configmap/oa-cm replaced\n');
    expect((await getJSON(c, 'cm', 'oa-cm')).data).toEqual({ k: '2' });
  });
});
