import { runKubelet, dockerFromEnv, loggerFromEnv } from '../kubelet/main.js';
import { proxierFromEnv } from '../proxy/main.js';
import { runDns } from '../dns/main.js';
import { runIngress } from '../ingress/main.js';

// The node agent: the one process every node container runs (bundled into the node image as
// dist/kubelet.cjs). It hosts two components that share nothing but the Docker engine, each an API
// client with its own credentials: the kubelet (the node's token) and kube-proxy (kube-proxy's).
// The only wire between them is the pod-network hook: the kubelet asks kube-proxy to program a
// new sandbox's namespace before it starts the pod's containers.
//
// SIGTERM/SIGINT stop both and leave the pods running; the next agent adopts them.

export async function main(env: Record<string, string | undefined> = process.env): Promise<void> {
  const root = loggerFromEnv(env);
  const docker = dockerFromEnv(env);
  const proxier = proxierFromEnv(env, docker, root);
  // kube-proxy lists and watches on its own; its informers retry until the API server answers.
  void proxier?.start().catch((err) => root.with('kube-proxy').error('start failed', { err }));
  await runKubelet(env, docker, root, proxier ? { podNetwork: { sandboxReady: (id) => proxier.programSandbox(id) } } : {}, async () => proxier?.stop());
}

// Runs when loaded as the node image's entry point, not when the test runner imports it. The
// same image runs the cluster DNS add-on's pods, with the argument `dns`, and the ingress
// controller's, with `ingress`.
if (!process.env.VITEST) {
  const role = process.argv[2];
  const run = role === 'dns' ? runDns(process.env) : role === 'ingress' ? runIngress(process.env) : main();
  run.catch((e) => {
    loggerFromEnv(process.env).with(role === 'dns' || role === 'ingress' ? role : 'node').error('exiting', { err: e });
    process.exit(1);
  });
}
