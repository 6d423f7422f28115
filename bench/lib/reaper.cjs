'use strict';
// A watchman for benchmarks that make Docker objects themselves (bench:nodes' floors): started
// detached with the run's unique cluster names as arguments and a pipe as stdin, it waits for
// that pipe to close, which happens however the benchmark ends, SIGKILL included, and then
// force-removes every container, volume and network labelled flotilla.dev/cluster=<one of the
// names>. After a normal end the benchmark has removed them already and this finds nothing.
// The names are unique to the run (bench-<name>-<pid>-<time>), so nothing else is touched.
const Docker = require('dockerode');

const names = process.argv.slice(2);
const LABEL = 'flotilla.dev/cluster';

async function reap() {
  const docker = new Docker();
  for (const name of names) {
    const filters = JSON.stringify({ label: [`${LABEL}=${name}`] });
    const containers = await docker.listContainers({ all: true, filters }).catch(() => []);
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    const volumes = (await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }))).Volumes ?? [];
    await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
    const networks = await docker.listNetworks({ filters }).catch(() => []);
    await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  }
}

let reaping = false;
const go = () => {
  if (reaping) return;
  reaping = true;
  // A grace period: a benchmark that ends normally removes its objects itself just before.
  setTimeout(() => {
    reap().finally(() => process.exit(0));
  }, 2000);
};
process.stdin.on('end', go);
process.stdin.on('error', go);
process.stdin.resume();
