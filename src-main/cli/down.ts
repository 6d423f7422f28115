import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ClusterManager } from '../cluster/clusterManager.js';
import { CONTROL_PLANE_PURPOSE, LOCK_FILE } from '../dataFolder.js';
import { describeHolder, lockHolder, lockInstance, tryLock } from '../images/fileLock.js';
import { pidExists } from '../images/processIdentity.js';

// `flotilla down --data DIR`: stop the control plane serving DIR (if one does), remove the
// cluster's Docker objects and the folder. It signals only a process it has verified to be
// DIR's control plane (the lock's recorded PID *and* process start time, checked again right
// before the signal), so a PID that now belongs to another program is never sent SIGTERM.

const STOP_WAIT_MS = 30_000;

/** The Docker cluster a data folder's control plane created, if any (written by `up`). */
export function recordedClusterName(dataDir: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dataDir, 'cluster.json'), 'utf8')) as { clusterName?: string }).clusterName;
  } catch {
    return undefined;
  }
}

/** Stops the verified control plane holding `lockFile`, and waits until it has let go. */
async function stopHolder(dataDir: string, lockFile: string): Promise<void> {
  const busy = lockHolder(lockFile);
  if (!busy) return; // free, or stale (its process is gone): nothing to stop
  const h = busy.holder;
  if (busy.state === 'unknown') {
    throw new Error(
      `${dataDir} is in use by ${describeHolder(h)}, which this system cannot verify as its control plane, so it is not signalled: ` +
        `stop it yourself (Ctrl-C where it runs), or if no Flotilla is running there remove ${lockFile}, and run flotilla down again`,
    );
  }
  if (h.purpose !== CONTROL_PLANE_PURPOSE) throw new Error(`${dataDir} is in use by ${describeHolder(h)} (${h.purpose}); wait for it to finish`);
  // Verified again right before the signal: same lock holding, same process (PID + start time).
  // Node has no pidfd to close the remaining gap; for the PID to name another process in it, the
  // holder would have to exit and its PID be reused within these microseconds.
  const again = lockHolder(lockFile);
  if (again?.state !== 'same' || again.holder.instance !== h.instance) return;
  try {
    process.kill(h.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  // Cheap checks while waiting (no process start lookups, which spawn `ps` on some platforms): it
  // lets go of the lock when it stops cleanly; its PID disappears if it dies.
  while (lockInstance(lockFile) === h.instance && pidExists(h.pid)) {
    if (Date.now() > deadline) throw new Error(`${describeHolder(h)} did not stop within ${STOP_WAIT_MS / 1000} s; stop it and run flotilla down again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function down(dataDir: string, out: (line: string) => void): Promise<void> {
  if (!fs.existsSync(dataDir)) {
    out(`nothing to remove at ${dataDir}`);
    return;
  }
  if (!fs.existsSync(path.join(dataDir, 'store.db')) && !fs.existsSync(path.join(dataDir, 'kubeconfig'))) {
    throw new Error(`${dataDir} does not look like a Flotilla data folder; refusing to remove it`);
  }
  const lockFile = path.join(dataDir, LOCK_FILE);
  await stopHolder(dataDir, lockFile);
  // Hold the folder while removing it, so that an `up` started meanwhile waits its turn
  // (it is told the folder is in use) instead of starting on a half-removed cluster.
  const held = tryLock(lockFile, 'down');
  if (!('release' in held)) throw new Error(`${dataDir} is in use by ${describeHolder(held.holder)}; stop it first`);
  try {
    // Node and pod containers, volumes and the network: nothing with the cluster's label stays.
    const recorded = recordedClusterName(dataDir);
    if (recorded) {
      const docker = new Docker();
      const reachable = await docker.ping().then(
        () => true,
        () => false,
      );
      if (reachable) {
        const cluster = new ClusterManager({ docker, clusterName: recorded, dataDir, apiServer: { hostPort: 0, caCert: '' }, nodeImage: 'flotilla/node', tokenFor: () => '', relayOwnedElsewhere: true });
        const report = await cluster.deleteCluster();
        await cluster.close();
        if (report.containers || report.networks || report.volumes) {
          out(`removed ${report.containers} containers, ${report.volumes} volumes and ${report.networks} networks`);
        }
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  } finally {
    held.release();
  }
  out(`removed the cluster at ${dataDir}`);
}
