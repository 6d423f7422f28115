import net from 'node:net';
import type { ApiClient } from '../client/apiClient.js';
import type { Deployment, KubeObject } from '../api/types.js';
import { addonMeta, envVars } from './addonManager.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, FLOTILLA_INGRESS_CONTROLLER } from '../api/ingressClasses.js';

// The ingress controller add-on, shaped as ingress-nginx's manifests (a ServiceAccount, the
// IngressClass marked default, a Deployment, a ClusterIP Service in front of it), in kube-system
// as the DNS add-on. Its pod runs Flotilla's controller (src-main/ingress) with Debian's nginx from
// the node image, and publishes nginx's ports on the user's loopback with hostPorts (a hostPort is
// a Docker port binding: pods are sibling containers on the user's engine), so that
// http://<name>.localhost[:port] reaches it from the desktop's browser.
//
// One replica with the Recreate strategy: every node binds the same loopback of the same
// computer, so two controllers could never hold the port at once.

export const INGRESS_CLASS = 'flotilla';
export const INGRESS_NAME = 'flotilla-ingress-controller';
export const INGRESS_LABELS = { 'app.kubernetes.io/name': 'flotilla-ingress', 'app.kubernetes.io/component': 'controller' };
/** The TLS Secret served to hosts without their own certificate, issued by the cluster CA. */
export const DEFAULT_CERTIFICATE_SECRET = 'flotilla-ingress-default-cert';
export const HEALTH_PORT = 10254;

export interface IngressPorts {
  /** The loopback ports of the user's computer that reach nginx. */
  http: number;
  https: number;
}

export interface IngressControllerOptions {
  /** The node image (it carries the controller and nginx). */
  image: string;
  ports: IngressPorts;
  env?: Record<string, string>;
}

export function ingressControllerObjects(o: IngressControllerOptions): { resource: string; object: KubeObject }[] {
  const meta = (name: string, namespaced = true) => addonMeta(name, INGRESS_LABELS, namespaced);
  const env = [
    { name: 'FLOTILLA_INGRESS_HTTP_PORT', value: '80' },
    { name: 'FLOTILLA_INGRESS_HTTPS_PORT', value: '443' },
    { name: 'FLOTILLA_INGRESS_PUBLIC_HTTP_PORT', value: String(o.ports.http) },
    { name: 'FLOTILLA_INGRESS_PUBLIC_HTTPS_PORT', value: String(o.ports.https) },
    { name: 'FLOTILLA_INGRESS_STATUS_ADDRESS', value: '127.0.0.1' },
    { name: 'FLOTILLA_INGRESS_DEFAULT_CERTIFICATE', value: `kube-system/${DEFAULT_CERTIFICATE_SECRET}` },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ...envVars(o.env),
  ];
  return [
    { resource: 'serviceaccounts', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('flotilla-ingress') } },
    {
      resource: 'ingressclasses.networking.k8s.io',
      object: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { ...meta(INGRESS_CLASS, false), annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } },
        spec: { controller: FLOTILLA_INGRESS_CONTROLLER },
      } as KubeObject,
    },
    {
      resource: 'services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(INGRESS_NAME),
        spec: {
          selector: INGRESS_LABELS,
          ports: [
            { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
            { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' },
          ],
        },
      } as KubeObject,
    },
    {
      resource: 'deployments.apps',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(INGRESS_NAME),
        spec: {
          replicas: 1,
          selector: { matchLabels: INGRESS_LABELS },
          strategy: { type: 'Recreate' },
          template: {
            metadata: { labels: INGRESS_LABELS },
            spec: {
              serviceAccountName: 'flotilla-ingress',
              tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
              terminationGracePeriodSeconds: 10,
              containers: [
                {
                  name: 'controller',
                  image: o.image,
                  imagePullPolicy: 'IfNotPresent',
                  args: ['ingress'],
                  env,
                  ports: [
                    { name: 'http', containerPort: 80, hostPort: o.ports.http, protocol: 'TCP' },
                    { name: 'https', containerPort: 443, hostPort: o.ports.https, protocol: 'TCP' },
                    { name: 'metrics', containerPort: HEALTH_PORT, protocol: 'TCP' },
                  ],
                  readinessProbe: { httpGet: { path: '/healthz', port: HEALTH_PORT }, periodSeconds: 2, failureThreshold: 3 },
                  livenessProbe: { httpGet: { path: '/healthz', port: HEALTH_PORT }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 5 },
                  resources: { requests: { cpu: '100m', memory: '90Mi' } },
                },
              ],
            },
          },
        },
      } as KubeObject,
    },
  ];
}

/** The hostPorts of the add-on's Deployment as it stands, so a restart keeps the ports it had. */
export async function currentIngressPorts(client: ApiClient): Promise<Partial<IngressPorts>> {
  try {
    const d = await client.get<Deployment>('deployments.apps', 'kube-system', INGRESS_NAME);
    const ports = d.spec?.template?.spec?.containers?.[0]?.ports ?? [];
    const host = (name: string) => ports.find((p) => p.name === name)?.hostPort;
    return { http: host('http'), https: host('https') };
  } catch {
    return {};
  }
}

/** Whether 127.0.0.1:port can be bound now (EACCES counts as free: Docker binds as root). */
export function loopbackPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EACCES'));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port the OS has free on 127.0.0.1 right now. */
export function anyFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The loopback port for one of the controller's ports: the one asked for (0: any free one); else
 * the one the add-on already has; else the first free candidate (80 then 8080; 443 then 8443),
 * else any free one.
 */
export async function chooseIngressPort(asked: number | undefined, current: number | undefined, candidates: number[]): Promise<number> {
  if (asked !== undefined) return asked === 0 ? anyFreeLoopbackPort() : asked;
  if (current) return current;
  for (const p of candidates) if (await loopbackPortFree(p)) return p;
  return anyFreeLoopbackPort();
}

/**
 * The default certificate's Secret, made once (a restart keeps it, so browsers that were told to
 * trust it keep trusting it): `issue` signs one with the cluster CA.
 */
export async function ensureDefaultCertificate(client: ApiClient, issue: () => Promise<{ cert: string; key: string }>): Promise<void> {
  try {
    await client.get('secrets', 'kube-system', DEFAULT_CERTIFICATE_SECRET);
    return;
  } catch {
    /* not there yet */
  }
  const { cert, key } = await issue();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await client.create('secrets', 'kube-system', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: DEFAULT_CERTIFICATE_SECRET, namespace: 'kube-system', labels: { ...INGRESS_LABELS } },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(cert), 'tls.key': b64(key) },
  } as KubeObject);
}

/** Ports for the add-on: asked for, else kept from the last start, else probed (see chooseIngressPort). */
export async function resolveIngressPorts(client: ApiClient, asked: Partial<IngressPorts>): Promise<IngressPorts> {
  const current = await currentIngressPorts(client);
  const http = await chooseIngressPort(asked.http, current.http, [80, 8080]);
  let https = await chooseIngressPort(asked.https, current.https, [443, 8443]);
  while (https === http) https = await anyFreeLoopbackPort();
  return { http, https };
}
