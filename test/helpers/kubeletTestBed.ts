import { ApiClient } from '../../src-main/client/apiClient.js';
import type { Kubelet, KubeletOptions } from '../../src-main/kubelet/kubelet.js';
import { LABEL_CLUSTER } from '../../src-main/kubelet/labels.js';
import { startTestCluster, type TestCluster } from './controlPlane.js';
import { docker } from './dockerEngine.js';
import { IN_CI } from './requirements.js';
import { ensureToolsImage } from './toolsImage.js';

// What a test of the real Kubelet class needs around it (kubelet.test.ts, kubelet-hardening.test.ts):
// the kubelet runs in the test process (a crash fails the run, and the test can look inside it)
// against a real control plane, with the node's own token, and runs pods as sibling containers on
// the local Docker engine, on a bridge network the test bed creates. The pods' image is the tools
// image (toolsImage.ts), the sandboxes' the project's pause image; nothing is pulled. The names are
// unique to the run, and tearDown() removes every Docker object of the run (the kubelet's by the
// cluster label, the network by the test's label).

const TEST_LABEL = 'flotilla.dev/test';

export class KubeletTestBed {
  /** Unique to this run: in the network's name and in names the test gives its own objects. */
  readonly run = `${process.pid}-${Date.now().toString(36)}`;
  /** The kubelet's cluster name, on every container and volume it creates. */
  readonly cluster: string;
  /** The Docker network of the pod sandboxes. */
  readonly network: string;
  c!: TestCluster;
  /** The node's client: its own token (system:node:<node>), as a real node uses. */
  client!: ApiClient;
  /** The test's own writes (pods, configmaps...): a node's token may not make them. */
  admin!: ApiClient;
  /** The image the test's pods run. */
  tools!: string;
  pause!: string;

  /**
   * @param test names the test file ('kubelet', 'kubelet-hardening'): in the network's name, the
   *   test label and the clients' user agent
   * @param clusterPrefix a short prefix of the cluster name (it is part of every container name)
   */
  constructor(
    readonly test: string,
    clusterPrefix: string,
    readonly node: string,
  ) {
    this.cluster = `${clusterPrefix}${Date.now().toString(36)}`;
    this.network = `flotilla-${test}-${this.run}`;
  }

  /** Images, network, control plane and clients; the kubelet itself is the test's to start (with kubeletOptions()). */
  async setUp(): Promise<void> {
    await this.removeDockerObjects();
    this.tools = await ensureToolsImage(docker);
    this.pause = await this.pauseImage();
    await docker.createNetwork({ Name: this.network, Driver: 'bridge', Labels: { [TEST_LABEL]: this.testLabel, [LABEL_CLUSTER]: this.cluster } });
    this.c = await startTestCluster();
    this.client = new ApiClient({ url: this.c.cp.url, token: this.c.cp.tokens.nodeToken(this.node), ca: this.c.cp.caCert, userAgent: `${this.test}-test` });
    this.admin = this.c.cp.componentClient(`${this.test}-test`);
  }

  /** What every kubelet of the test bed is started with (node, cluster, network, images, capacity), and `extra`. */
  kubeletOptions(extra: Partial<KubeletOptions> = {}): KubeletOptions {
    return {
      client: this.client,
      docker,
      nodeName: this.node,
      clusterName: this.cluster,
      network: this.network,
      pauseImage: this.pause,
      capacity: { cpu: '2', memory: '4Gi', pods: '20' },
      ...extra,
    };
  }

  /** Stops the kubelet the test runs (if it got that far) and the control plane, and removes the run's Docker objects. */
  async tearDown(kubelet: Kubelet | undefined): Promise<void> {
    await kubelet?.stop();
    this.client?.close();
    await this.c?.stop();
    await this.removeDockerObjects();
  }

  private get testLabel(): string {
    return `${this.test}-${this.run}`;
  }

  /** The project's pause image (src-main/images); the tools image as a stand-in when that is unavailable (never under CI). */
  private async pauseImage(): Promise<string> {
    try {
      const images = await import('../../src-main/images/index.js');
      return (await images.ensurePauseImage(docker, { pull: false })).tag;
    } catch (e) {
      if (IN_CI) throw e;
      console.warn(`${this.test}.test.ts: no project pause image (${(e as Error).message}); using ${this.tools}`);
      return this.tools;
    }
  }

  private async removeDockerObjects(): Promise<void> {
    const cs = await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${this.cluster}`] } });
    await Promise.all(cs.map((x) => docker.getContainer(x.Id).remove({ force: true }).catch(() => undefined)));
    const vols = await docker.listVolumes({ filters: { label: [`${LABEL_CLUSTER}=${this.cluster}`] } });
    await Promise.all((vols.Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
    const nets = await docker.listNetworks({ filters: { label: [`${TEST_LABEL}=${this.testLabel}`] } });
    await Promise.all(nets.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  }
}
