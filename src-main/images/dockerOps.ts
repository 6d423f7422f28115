import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/** A JSON message of the engine's build/pull/import progress streams. */
interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
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
  onLine?: (line: string) => void;
}

/** docker build from a tar context (legacy builder: works on any engine, needs no registry). */
export async function buildImage(docker: Docker, req: BuildRequest): Promise<string> {
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
    const line = m.stream?.trim();
    if (line) req.onLine?.(line);
  });
  if (!id) id = (await docker.getImage(req.tag).inspect()).Id;
  return id;
}

/** `docker import FILE repo:tag`: a filesystem tarball (gzip is fine) becomes an image. */
export async function importTarball(docker: Docker, file: string, repo: string, tag: string): Promise<void> {
  const stream = await docker.importImage(createReadStream(file), { repo, tag });
  await followEngineStream(stream as NodeJS.ReadableStream);
}

/** `docker pull` that gives up after timeoutMs; true when the image is then present. */
export async function tryPull(
  docker: Docker,
  ref: string,
  timeoutMs: number,
  onLine?: (line: string) => void,
): Promise<{ ok: boolean; error?: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const stream = (await docker.pull(ref, { abortSignal: abort.signal })) as NodeJS.ReadableStream;
    await followEngineStream(stream, (m) => {
      if (m.status) onLine?.(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}`);
    });
    return { ok: true };
  } catch (err) {
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
