import Docker from 'dockerode';

// The local Docker engine the tests run their nodes, pods and images on (through the socket, as
// the kubelet and the cluster manager do), and whether it answers: tests that need it say so with
// skipWithout('a Docker engine', dockerUp) (requirements.ts), which fails them under CI.

export const docker = new Docker();

export const dockerUp = await docker.ping().then(
  () => true,
  () => false,
);
