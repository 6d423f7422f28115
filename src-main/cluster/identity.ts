import { createHash, X509Certificate } from 'node:crypto';
import type Docker from 'dockerode';
import { listClusterNetworks, listNodeContainers } from './adopt.js';
import { LABEL } from './labels.js';

// Which control plane a cluster's Docker objects belong to. A cluster NAME only says which
// objects go together; two control planes (two data folders, or one data folder deleted and made
// anew) can use the same name. Node containers carry their control plane's CA and token, so a
// node of another control plane can never join this one: its kubelet loops on a certificate
// error. The identity is the CA: `flotilla.dev/cluster-id` is a short hash of the CA certificate,
// put on the network, the node containers and their volumes. Node containers made before the
// label existed are identified by the CA in their environment (FLOTILLA_CA).

/** A short, stable hash of the cluster CA certificate (its DER bytes; the PEM text if it does not parse). */
export function clusterIdOf(caCert: string): string {
  let bytes: Buffer;
  try {
    bytes = new X509Certificate(caCert).raw;
  } catch {
    bytes = Buffer.from(caCert.trim());
  }
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** The control plane (by CA id, and data folder where labelled) that made some of a cluster's objects. */
export interface ClusterOwner {
  clusterId: string;
  /** The data folder of the control plane that made them (absent on objects of older versions). */
  dataDir?: string;
}

export interface ForeignObjects {
  owners: ClusterOwner[];
  /** Node container names and the network name, for messages. */
  names: string[];
}

async function nodeClusterId(docker: Docker, info: Docker.ContainerInfo): Promise<string | undefined> {
  const labelled = info.Labels[LABEL.clusterId];
  if (labelled) return labelled;
  try {
    const env = (await docker.getContainer(info.Id).inspect()).Config.Env ?? [];
    const ca = env.find((e) => e.startsWith('FLOTILLA_CA='))?.slice('FLOTILLA_CA='.length);
    // No CA in the environment: not a node we can judge (none of ours lacks it); leave it be.
    return ca?.includes('-----BEGIN') ? clusterIdOf(ca) : undefined;
  } catch {
    return undefined; // removed meanwhile
  }
}

/**
 * The cluster's network and node containers that belong to a control plane other than the one
 * with `clusterId`; null when there are none.
 */
export async function findForeignObjects(docker: Docker, cluster: string, clusterId: string): Promise<ForeignObjects | null> {
  const owners = new Map<string, ClusterOwner>();
  const names: string[] = [];
  const note = (id: string | undefined, dataDir: string | undefined, name: string) => {
    if (!id || id === clusterId) return;
    names.push(name);
    const key = `${id}\u0000${dataDir ?? ''}`;
    if (!owners.has(key)) owners.set(key, { clusterId: id, ...(dataDir ? { dataDir } : {}) });
  };
  for (const net of await listClusterNetworks(docker, cluster)) note(net.Labels?.[LABEL.clusterId], net.Labels?.[LABEL.dataDir], net.Name);
  for (const info of await listNodeContainers(docker, cluster)) {
    note(await nodeClusterId(docker, info), info.Labels[LABEL.dataDir], (info.Names[0] ?? info.Id).replace(/^\//, ''));
  }
  return names.length ? { owners: [...owners.values()], names } : null;
}
