import type Docker from 'dockerode';
import { DOCKER_LABEL } from '../api/dockerLabels.js';

// The pod sandboxes running on this node, found by the labels the kubelet writes, and the path
// of each one's network namespace. The path goes through the sandbox's init process, so it is
// remembered per container id (a restarted sandbox is a new container).

export interface Sandbox {
  id: string;
  netns: string;
}

export class PodSandboxes {
  private readonly paths = new Map<string, string>();

  constructor(
    private readonly docker: Docker,
    private readonly cluster: string,
    private readonly node: string,
    private readonly hostProc: string,
  ) {}

  async list(): Promise<Sandbox[]> {
    const running = await this.docker.listContainers({
      filters: { label: [`${DOCKER_LABEL.cluster}=${this.cluster}`, `${DOCKER_LABEL.node}=${this.node}`, `${DOCKER_LABEL.containerKind}=sandbox`], status: ['running'] },
    });
    const live = new Set(running.map((c) => c.Id));
    for (const id of this.paths.keys()) if (!live.has(id)) this.paths.delete(id);
    const out: Sandbox[] = [];
    for (const c of running) {
      const netns = await this.netnsOf(c.Id);
      if (netns) out.push({ id: c.Id, netns });
    }
    return out;
  }

  /** The sandbox's namespace path, or undefined when it is not running. */
  async netnsOf(id: string): Promise<string | undefined> {
    const known = this.paths.get(id);
    if (known) return known;
    try {
      const info = await this.docker.getContainer(id).inspect();
      if (!info.State.Running || !info.State.Pid) return undefined;
      const p = `${this.hostProc}/${info.State.Pid}/ns/net`;
      this.paths.set(id, p);
      return p;
    } catch {
      return undefined;
    }
  }
}
