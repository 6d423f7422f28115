import type { KubeObject } from '../api/types.js';
import { addonMeta, envVars } from './addonManager.js';

// The cluster DNS add-on, shaped as kubeadm installs CoreDNS (kube-system: ServiceAccount
// `coredns`, Deployment `coredns` with two replicas labelled k8s-app=kube-dns, Service `kube-dns`
// at the tenth address of the service range with dns/UDP, dns-tcp/TCP and metrics ports), so
// that what users and tools look for is where they look. The pods run Flotilla's DNS server
// (src-main/dns) from the node image with the argument `dns`: no image of its own to build or pull.

export const DNS_LABELS = { 'k8s-app': 'kube-dns' };
/** The cluster domain (kubeadm's default; kubelets use it for pods' search paths). */
export const CLUSTER_DOMAIN = 'cluster.local';

export interface ClusterDnsOptions {
  /** The node image (it carries the DNS server). */
  image: string;
  /** kube-dns's ClusterIP, the address kubelets write into pods' resolv.conf. */
  clusterIP: string;
  clusterDomain: string;
  replicas?: number;
  /** Environment for the server (log settings). */
  env?: Record<string, string>;
}

export function clusterDnsObjects(o: ClusterDnsOptions): { resource: string; object: KubeObject }[] {
  const meta = (name: string) => addonMeta(name, DNS_LABELS);
  return [
    { resource: 'serviceaccounts', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('coredns') } },
    {
      resource: 'services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta('kube-dns'), annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } },
        spec: {
          selector: DNS_LABELS,
          clusterIP: o.clusterIP,
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      } as KubeObject,
    },
    {
      resource: 'deployments.apps',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('coredns'),
        spec: {
          replicas: o.replicas ?? 2,
          selector: { matchLabels: DNS_LABELS },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: DNS_LABELS },
            spec: {
              serviceAccountName: 'coredns',
              // Its own upstream is the node's resolver, never itself.
              dnsPolicy: 'Default',
              tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
              terminationGracePeriodSeconds: 5,
              containers: [
                {
                  name: 'coredns',
                  image: o.image,
                  imagePullPolicy: 'IfNotPresent',
                  args: ['dns'],
                  env: [{ name: 'FLOTILLA_DNS_ZONE', value: o.clusterDomain }, ...envVars(o.env)],
                  ports: [
                    { name: 'dns', containerPort: 53, protocol: 'UDP' },
                    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  ],
                  // Every second: the cluster's names answer as soon as a server listens (a desktop cluster starts often).
                  readinessProbe: { tcpSocket: { port: 53 }, periodSeconds: 1 },
                  resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
                },
              ],
            },
          },
        },
      } as KubeObject,
    },
  ];
}
