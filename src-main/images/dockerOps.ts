import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerBuildStep } from './buildOutput';
import type { BuildReporter } from './progress';

/** A JSON message of the engine's build/pull/import progress streams. */
interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export class EngineStreamError extends Error {}

/**
 * Reads one of the engine's newline-delimited JSON progress streams to its end. Such a stream
 * reports failures in-band ({"error": ...}) with HTTP 200, so this is where they become errors.
 */
export function followEngineStream(
  stream: NodeJS.ReadableStream,
  onMessage: (m: EngineMessage) => void = () => undefined,
): Promise<EngineMessage[]> {
  return new Promise((resolve, reject) => {
    const messages: EngineMessage[] = [];
    let buffer = '';
    let failure: string | undefined;
    const take = (line: string): void => {
      const text = line.trim();
      if (!text) return;
      let message: EngineMessage;
      try {
        message = JSON.parse(text) as EngineMessage;
      } catch {
        message = { stream: text };
      }
      messages.push(message);
      if (message.error || message.errorDetail?.message) failure ??= message.errorDetail?.message ?? message.error;
      onMessage(message);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        take(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      take(buffer);
      if (failure) reject(new EngineStreamError(failure.trim()));
      else resolve(messages);
    });
  });
}

export interface ImageFacts {
  id: string;
  labels: Record<string, string>;
  size: number;
}

/** `docker image inspect`, or undefined when there is no such image. */
export async function inspectImage(docker: Docker, ref: string): Promise<ImageFacts | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {}, size: info.Size };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

export interface BuildRequest {
  context: Readable;
  tag: string;
  buildargs?: Record<string, string>;
  labels?: Record<string, string>;
  dockerfile?: string;
  /** Told the build as one stage, `docker build`, counted in Dockerfile steps, and every output line. */
  reporter?: BuildReporter;
}

/** docker build from a tar context (legacy builder: works on any engine, needs no registry). */
export async function buildImage(docker: Docker, req: BuildRequest): Promise<string> {
  const reporter = req.reporter;
  reporter?.start('docker build', { unit: 'steps' });
  try {
    const stream = await docker.buildImage(req.context, {
      t: req.tag,
      buildargs: req.buildargs,
      labels: req.labels,
      dockerfile: req.dockerfile ?? 'Dockerfile',
      rm: true,
      forcerm: true,
      pull: false,
    } as Docker.ImageBuildOptions);
    let id: string | undefined;
    await followEngineStream(stream, (m) => {
      if (m.aux?.ID) id = m.aux.ID;
      const text = m.stream ?? (m.error ? `ERROR: ${m.errorDetail?.message ?? m.error}` : undefined);
      for (const line of (text ?? '').split('\n')) {
        if (!line.trim()) continue;
        reporter?.log(line.trimEnd());
        const step = dockerBuildStep(line);
        if (step) reporter?.progress(step.step, step.total);
      }
    });
    if (!id) id = (await docker.getImage(req.tag).inspect()).Id;
    reporter?.end();
    return id;
  } catch (err) {
    reporter?.end({ failed: true });
    throw err;
  }
}

/** A read stream of `file` that reports how much of it has been read, as a `bytes` stage. */
async function readWithProgress(file: string, reporter: BuildReporter | undefined, stage: string): Promise<NodeJS.ReadableStream> {
  const stream = createReadStream(file);
  if (!reporter) return stream;
  const { size } = await stat(file);
  reporter.start(stage, { done: 0, total: size, unit: 'bytes' });
  let read = 0;
  let shown = -1;
  stream.on('data', (chunk) => {
    read += chunk.length;
    // Each 64 KiB chunk would be an event; a whole percent is enough for anyone to see.
    const pct = Math.floor((read / size) * 100);
    if (pct !== shown) {
      shown = pct;
      reporter.progress(read);
    }
  });
  return stream;
}

/** `docker import FILE repo:tag`: a filesystem tarball (gzip is fine) becomes an image. */
export async function importTarball(docker: Docker, file: string, repo: string, tag: string, reporter?: BuildReporter): Promise<void> {
  try {
    const stream = await docker.importImage(await readWithProgress(file, reporter, 'docker import'), { repo, tag });
    await followEngineStream(stream as NodeJS.ReadableStream, (m) => {
      if (m.status) reporter?.log(m.status);
    });
    reporter?.end();
  } catch (err) {
    reporter?.end({ failed: true });
    throw err;
  }
}

/** Sums the engine's per-layer download counts of a pull into one byte count. */
export class PullProgress {
  private layers = new Map<string, { current: number; total: number }>();

  /** Takes one pull message; returns the bytes downloaded and to download so far when they changed. */
  read(m: EngineMessage): { done: number; total: number } | undefined {
    if (!m.id) return undefined;
    const layer = this.layers.get(m.id) ?? { current: 0, total: 0 };
    if (m.status === 'Downloading' && m.progressDetail?.total) {
      layer.current = m.progressDetail.current ?? 0;
      layer.total = m.progressDetail.total;
    } else if (m.status === 'Download complete' || m.status === 'Already exists' || m.status === 'Pull complete') {
      layer.current = layer.total;
    } else {
      return undefined;
    }
    this.layers.set(m.id, layer);
    let done = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      done += l.current;
      total += l.total;
    }
    return { done, total };
  }
}

/** `docker pull` that gives up after timeoutMs; true when the image is then present. */
export async function tryPull(
  docker: Docker,
  ref: string,
  timeoutMs: number,
  reporter?: BuildReporter,
): Promise<{ ok: boolean; error?: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  reporter?.start(`docker pull ${ref}`, { unit: 'bytes' });
  try {
    const stream = (await docker.pull(ref, { abortSignal: abort.signal })) as NodeJS.ReadableStream;
    const bytes = new PullProgress();
    await followEngineStream(stream, (m) => {
      const counted = bytes.read(m);
      if (counted) reporter?.progress(counted.done, counted.total);
      // The per-chunk "Downloading"/"Extracting" messages are progress, not news for the log.
      if (m.status && !m.progressDetail?.total) reporter?.log(`${m.id ? `${m.id}: ` : ''}${m.status}`);
    });
    reporter?.end();
    return { ok: true };
  } catch (err) {
    reporter?.end({ failed: true });
    return { ok: false, error: abort.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Splits `docker logs` output of a container without a TTY into stdout and stderr. */
export function demuxLogs(data: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const kind = data[offset];
    const size = data.readUInt32BE(offset + 4);
    const body = data.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(body);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * `docker run --rm --network none IMAGE CMD`: runs a command to completion in a throwaway
 * container and returns its output. Used to check a fresh image before trusting it.
 */
export async function runOnce(
  docker: Docker,
  image: string,
  cmd: string[],
  opts: { entrypoint?: string[]; timeoutMs?: number; labels?: Record<string, string> } = {},
): Promise<RunResult> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Entrypoint: opts.entrypoint,
    Labels: { 'flotilla.dev/purpose': 'image-check', ...opts.labels },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await container.start();
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const waited = (await Promise.race([
      container.wait(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${cmd.join(' ')} in ${image} took over ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer))) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: waited.StatusCode, ...demuxLogs(logs) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
