import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEBOOTSTRAP_STAGES, DebootstrapProgress } from './buildOutput';
import { withFileLock } from './fileLock';
import type { BuildReporter } from './progress';

export const DEBIAN_SUITE = 'bookworm';
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

// What the base never needs at run time; removing it makes the rootfs about a third smaller.
const TRIM = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/lib/apt/lists', 'var/cache/apt', 'var/log'];

/** Debian's name for the architecture Node reports. */
export function debianArch(arch: string = process.arch): string {
  const known: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  const name = known[arch];
  if (!name) throw new Error(`no Debian architecture for ${arch}`);
  return name;
}

/** Runs a command, passing each output line to onLine; rejects with the last lines on failure. */
export function run(command: string, args: string[], onLine?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const emit = (line: string): void => {
      const text = line.trim();
      if (!text) return;
      tail.push(text);
      if (tail.length > 20) tail.shift();
      onLine?.(text);
    };
    // A chunk may end inside a line: keep the unfinished part of each stream until its newline,
    // so progress parsing never sees half a line.
    const follow = (stream: NodeJS.ReadableStream): void => {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split(/\r?\n|\r/);
        partial = lines.pop() ?? '';
        lines.forEach(emit);
      });
      stream.on('end', () => emit(partial));
    };
    follow(child.stdout);
    follow(child.stderr);
    child.on('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

export interface RootfsRequest {
  cacheDir: string;
  hash: string;
  suite: string;
  arch: string;
  packages: string[];
  mirror: string;
  /** Told each stage (debootstrap's phases with package counts, packing) and every output line. */
  reporter?: BuildReporter;
}

/**
 * A gzipped tarball of a minimal Debian root filesystem with the given packages, made once with
 * debootstrap (about 40 s with a fast mirror, a few minutes with a slow one) and then kept in
 * the cache folder under its inputs' hash.
 */
export async function ensureRootfsTarball(req: RootfsRequest): Promise<string> {
  const tarball = path.join(req.cacheDir, `rootfs-${req.suite}-${req.arch}-${req.hash}.tar.gz`);
  if (existsSync(tarball)) return tarball;
  return withFileLock(`${tarball}.lock`, async () => {
    if (existsSync(tarball)) return tarball;
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error(
        'building the offline node base needs root (debootstrap): run once as root, or make a node:*-slim image available to Docker',
      );
    }
    const work = path.join(req.cacheDir, `rootfs-work-${req.hash}-${process.pid}`);
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });
    const reporter = req.reporter;
    try {
      const stages = new DebootstrapProgress();
      reporter?.start(DEBOOTSTRAP_STAGES.resolving);
      let stageName: string = DEBOOTSTRAP_STAGES.resolving;
      await run(
        'debootstrap',
        ['--variant=minbase', `--arch=${req.arch}`, `--include=${req.packages.join(',')}`, req.suite, work, req.mirror],
        (line) => {
          reporter?.log(line);
          const reading = stages.read(line);
          if (!reporter || !reading) return;
          if (reading.name === stageName) {
            if (reading.done !== undefined) reporter.progress(reading.done, reading.total);
            return;
          }
          stageName = reading.name;
          reporter.start(reading.name, { done: reading.done, total: reading.total, unit: reading.unit });
        },
      ).catch((err: Error) => {
        reporter?.end({ failed: true });
        if (/cannot run debootstrap/.test(err.message)) {
          throw new Error(`${err.message}: install it (apt-get install debootstrap) or make a node:*-slim image available to Docker`);
        }
        throw err;
      });
      const pack = async (): Promise<void> => {
        for (const dir of TRIM) {
          await rm(path.join(work, dir), { recursive: true, force: true });
          await mkdir(path.join(work, dir), { recursive: true });
        }
        // apt expects these to exist if someone installs a package in a node container later.
        for (const dir of ['var/lib/apt/lists/partial', 'var/cache/apt/archives/partial']) {
          await mkdir(path.join(work, dir), { recursive: true });
        }
        const partial = `${tarball}.${process.pid}.partial`;
        await run('tar', ['--numeric-owner', '-C', work, '-czf', partial, '.'], (line) => reporter?.log(line));
        await rename(partial, tarball);
      };
      await (reporter ? reporter.stage('packing the root filesystem (tar)', pack) : pack());
      return tarball;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}
