import yaml from 'js-yaml';
import type { Container, Deployment, Volume } from '../../src-main/api/types.js';

// The sample app (resources/images/hello, built on this machine as flotilla/hello:1.0) as the
// Docker tests run it: never pulled (the network rule), serving HTTP on the port named `http`
// (8080), Ready once GET /readyz answers, probed every second so that readiness shows within
// seconds. It answers "Hello from <pod> on <node>" when NODE_NAME is set (server.js).

export const HELLO_IMAGE = 'flotilla/hello:1.0';

/** The hello container with only its image (no port, no probe), plus `over`. */
export function helloContainer(over: Partial<Container> = {}): Container {
  return { name: 'hello', image: HELLO_IMAGE, imagePullPolicy: 'Never', ...over };
}

/** The hello container serving: port `http` (8080) and a readiness probe on /readyz every second. */
export function servingHello(over: Partial<Container> = {}): Container {
  return helloContainer({ ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 }, ...over });
}

/**
 * A Deployment `name` of `replicas` pods labelled app=<name>, with a 2 s grace period (so that
 * deletions in the tests end quickly), running `container` (default: servingHello()).
 */
export function helloDeployment(name: string, replicas: number, opts: { container?: Container; volumes?: Volume[] } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 2, containers: [opts.container ?? servingHello()], ...(opts.volumes ? { volumes: opts.volumes } : {}) },
      },
    },
  };
}

/** Objects as one `kubectl apply -f -` input: YAML documents separated by `---`. */
export function manifest(...objects: object[]): string {
  return objects.map((o) => yaml.dump(o)).join('---\n');
}
