import { spawn } from 'node:child_process';

// Running iptables in a network namespace: the node's own (this process's) or a pod sandbox's,
// entered with nsenter through the host's /proc (a namespace created after the node container
// started is only visible there; see cluster/nodeContainer.ts). One process per call, input on
// stdin, bounded in time so a wedged namespace cannot stall every sync.

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NamespaceRunner {
  /** Runs `sh -c script` in the namespace at `netns` (null: this process's own). */
  run(netns: string | null, script: string, input?: string): Promise<CommandResult>;
}

export const shellRunner = (timeoutMs = 15_000): NamespaceRunner => ({
  run(netns, script, input) {
    const argv = netns ? ['nsenter', `--net=${netns}`, 'sh', '-c', script] : ['sh', '-c', script];
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: -1, stdout, stderr: stderr || e.message });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr: signal ? `${stderr}killed by ${signal}` : stderr });
      });
      // A namespace that vanished makes nsenter exit before reading: ignore EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  },
});
