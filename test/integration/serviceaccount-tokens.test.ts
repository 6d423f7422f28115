import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';

// Bound service account tokens end to end: kubectl create token, the TokenRequest subresource as
// kube 1.32 answers it, and authentication of the tokens it issues (signature, times, audience,
// and the service account / pod still being there), with real kubectl against a real API server.

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
let c: TestCluster;

beforeAll(async () => {
  // The controllers make each namespace's `default` ServiceAccount.
  c = await startTestCluster({ controllers: true });
  await until('the default service account', async () => (await c.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
});
afterAll(async () => c?.stop());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const listPodsAs = async (token: string) => (await c.request('GET', '/api/v1/namespaces/default/pods', undefined, bearer(token))).status;
const createToken = async (args: string[] = []) => (await c.kubectlOK(['create', 'token', ...args])).trim();

async function ensure(urlPath: string, body: unknown): Promise<any> {
  const r = await c.request('POST', urlPath, body);
  if (r.status !== 201) throw new Error(`POST ${urlPath}: ${r.status} ${r.text}`);
  return r.json;
}

const podBody = (name: string, serviceAccountName = 'default') => ({
  metadata: { name },
  spec: { serviceAccountName, automountServiceAccountToken: false, containers: [{ name: 'c', image: 'busybox:1.36' }] },
});

describe('kubectl create token', () => {
  it('issues a token in kube’s claim shape that authenticates as the service account', async () => {
    const token = await createToken(['default']);
    expect(await listPodsAs(token)).toBe(200);
    const sa = (await c.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).json;
    const claims = decodeJwt(token) as Record<string, any>;
    expect(claims.iss).toBe(ISSUER);
    expect(claims.sub).toBe('system:serviceaccount:default:default');
    expect(claims.aud).toEqual([ISSUER]);
    expect(claims.exp - claims.iat).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims['kubernetes.io']).toEqual({ namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata.uid } });
    expect(decodeProtectedHeader(token).alg).toBe('ES256');
    const user = await c.cp.serviceAccounts.authenticate(token);
    expect(user).toMatchObject({
      name: 'system:serviceaccount:default:default',
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
  });

  it('answers a TokenRequest with kube’s defaults and refuses a lifetime under 10 minutes', async () => {
    const r = await c.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'default', namespace: 'default' }, spec: { audiences: [ISSUER], expirationSeconds: 3600 } });
    expect(Date.parse(r.json.status.expirationTimestamp) - Date.parse(r.json.metadata.creationTimestamp)).toBe(3600_000);
    const short = await c.request('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { expirationSeconds: 10 } });
    expect(short.status).toBe(422);
    expect(short.json.message).toBe('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes');
    const missing = await c.kubectl(['create', 'token', 'nobody']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
  });

  it('is listed in discovery as kube lists it', async () => {
    const list = (await c.request('GET', '/api/v1')).json;
    expect(list.resources.find((r: { name: string }) => r.name === 'serviceaccounts/token')).toEqual({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  });
});

describe('authentication of service account tokens', () => {
  const keyFile = () => path.join(c.dir, 'data', 'pki', 'sa.key');

  it('keeps the signing key private to its owner in the PKI folder', () => {
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
  });

  it('refuses a token for another audience', async () => {
    const token = await createToken(['default', '--audience', 'vault']);
    expect(decodeJwt(token).aud).toEqual(['vault']);
    expect(await listPodsAs(token)).toBe(401);
  });

  it('refuses expired tokens and tokens signed with another key', async () => {
    const sa = (await c.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).json;
    const sign = (key: Parameters<SignJWT['sign']>[0], exp: number) =>
      new SignJWT({ 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata.uid } } })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(ISSUER)
        .setSubject('system:serviceaccount:default:default')
        .setAudience([ISSUER])
        .setIssuedAt(exp - 3600)
        .setNotBefore(exp - 3600)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(key);
    const clusterKey = createPrivateKey(fs.readFileSync(keyFile(), 'utf8'));
    const now = Math.floor(Date.now() / 1000);
    // The same claims, signed with the cluster's key and still valid, authenticate: the refusals
    // below are for the expiry and the key alone.
    expect(await listPodsAs(await sign(clusterKey, now + 3600))).toBe(200);
    // Beyond go-jose's one-minute leeway.
    expect(await listPodsAs(await sign(clusterKey, now - 120))).toBe(401);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(await listPodsAs(await sign(otherKey, now + 3600))).toBe(401);
  });

  it('stops accepting a token once its service account is deleted, even if one is made again with the same name', async () => {
    await ensure('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    const token = await createToken(['robot']);
    expect(await listPodsAs(token)).toBe(200);
    await c.kubectlOK(['delete', 'serviceaccount', 'robot']);
    expect(await listPodsAs(token)).toBe(401);
    await ensure('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
    expect(await listPodsAs(token)).toBe(401);
  });

  it('binds a token to a pod: refused once the pod is gone, and a stale uid is a conflict', async () => {
    const pod = await ensure('/api/v1/namespaces/default/pods', podBody('bound-pod'));
    const token = await createToken(['default', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound-pod', '--bound-object-uid', pod.metadata.uid]);
    expect((decodeJwt(token) as Record<string, any>)['kubernetes.io'].pod).toEqual({ name: 'bound-pod', uid: pod.metadata.uid });
    expect(await listPodsAs(token)).toBe(200);
    const stale = await c.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound-pod', '--bound-object-uid', randomUUID()]);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain('Operation cannot be fulfilled on Pod "bound-pod": the UID in the bound object reference');
    await c.kubectlOK(['delete', 'pod', 'bound-pod']);
    expect(await listPodsAs(token)).toBe(401);
  });

  it('refuses to bind a token for one service account to a pod running as another', async () => {
    await ensure('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'other' } });
    await ensure('/api/v1/namespaces/default/pods', podBody('runs-as-other', 'other'));
    const r = await c.kubectl(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'runs-as-other']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot bind token for serviceaccount "default" to pod running with different serviceaccount name.');
  });
});

describe('tokens requested by nodes', () => {
  const asNode = (node: string) => bearer(c.cp.tokens.nodeToken(node));
  const requestAs = (node: string, sa: string, spec: unknown) => c.request('POST', `/api/v1/namespaces/default/serviceaccounts/${sa}/token`, { spec }, asNode(node));
  let onN1: any;
  let onN2: any;

  beforeAll(async () => {
    for (const n of ['n1', 'n2']) await ensure('/api/v1/nodes', { metadata: { name: n } });
    await ensure('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'unused' } });
    onN1 = await ensure('/api/v1/namespaces/default/pods', { ...podBody('on-n1'), spec: { ...podBody('on-n1').spec, nodeName: 'n1' } });
    onN2 = await ensure('/api/v1/namespaces/default/pods', { ...podBody('on-n2'), spec: { ...podBody('on-n2').spec, nodeName: 'n2' } });
  });

  const boundTo = (pod: any, uid = pod.metadata.uid) => ({ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid } });

  it('lets a node have a token bound to a pod of its own, naming the node too', async () => {
    const r = await requestAs('n1', 'default', { ...boundTo(onN1), expirationSeconds: 3607 });
    expect(r.status).toBe(201);
    const claims = decodeJwt(r.json.status.token) as Record<string, any>;
    const node = (await c.request('GET', '/api/v1/nodes/n1')).json;
    expect(claims['kubernetes.io'].pod).toEqual({ name: 'on-n1', uid: onN1.metadata.uid });
    expect(claims['kubernetes.io'].node).toEqual({ name: 'n1', uid: node.metadata.uid });
    // kube's projected-token lifetime: a year, with a warning after the requested 3607 s.
    expect(claims.exp - claims.iat).toBe(365 * 24 * 3600);
    expect(claims['kubernetes.io'].warnafter - claims.iat).toBe(3607);
    expect(Date.parse(r.json.status.expirationTimestamp) - Date.parse(r.json.metadata.creationTimestamp)).toBe(3607_000);
    expect(await listPodsAs(r.json.status.token)).toBe(200);
  });

  it('refuses what NodeRestriction refuses', async () => {
    const cases: [unknown, string][] = [
      [{}, 'node requested token not bound to a pod'],
      [{ boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'on-n1' } }, 'node requested token with a pod binding without a uid'],
      [boundTo(onN1, randomUUID()), 'the UID in the bound object reference'],
      [boundTo(onN2), 'node requested token bound to a pod scheduled on a different node'],
    ];
    for (const [spec, why] of cases) {
      const r = await requestAs('n1', 'default', spec);
      expect(r.status).toBe(403);
      expect(r.json.message).toContain(`serviceaccounts "default" is forbidden: ${why}`);
    }
  });

  it('refuses tokens for a service account no pod on the node runs as', async () => {
    const r = await requestAs('n1', 'unused', boundTo(onN1));
    expect(r.status).toBe(403);
    expect(r.json.message).toBe(
      'serviceaccounts "unused" is forbidden: User "system:node:n1" cannot create resource "serviceaccounts/token" in API group "" in the namespace "default": no relationship found between node \'n1\' and this object',
    );
  });
});

describe('hostile bearer tokens', () => {
  it('answer 401, never an error of the server', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url');
    const ours = Buffer.from(JSON.stringify({ iss: ISSUER, 'kubernetes.io': 'x', exp: 'soon' })).toString('base64url');
    for (const t of ['a.b.c', `${header}.${ours}.`, `${header}.${ours}.AAAA`, `${header}.${ours}`, '..', `e30.${ours}.x`]) {
      expect(await listPodsAs(t)).toBe(401);
    }
  });
});
