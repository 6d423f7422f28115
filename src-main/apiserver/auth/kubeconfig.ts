import yaml from 'js-yaml';

// The admin kubeconfig: HTTPS with the cluster CA embedded and a bearer token (kubectl never sends
// credentials over plain http; see KUBECTL-COMPAT.md section 7).

export function buildKubeconfig(opts: { server: string; caCert: string; token: string; name?: string }): string {
  const name = opts.name ?? 'flotilla';
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caCert).toString('base64') } }],
    users: [{ name: `${name}-admin`, user: { token: opts.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
