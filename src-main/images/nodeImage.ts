import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase } from './baseImage';
import { resolveContext } from './context';
import { buildImage } from './dockerOps';
import { ensureTagged } from './ensureTagged';
import { inputsHash, sha256, sha256File } from './hashing';
import { RECIPE_VERSION } from './paths';
import { resolvePause } from './pauseImage';
import { type ContextFile, tarContext } from './tarContext';
import type { BaseImage, ImageOptions, NodeImage, RecipeContext } from './types';

export const NODE_REPO = 'flotilla/node';
export const AGENT_DIR = '/opt/flotilla';

export interface NodeImageOptions {
  /** The prebuilt kubelet/proxy JavaScript bundle: the node container's entry point. */
  bundleFile: string;
  /** More files to put beside the bundle in /opt/flotilla (a separate proxy bundle, assets). */
  extraFiles?: string[];
}

/**
 * flotilla/node:<hash>: the base image plus /pause and the agent bundle in /opt/flotilla, run as
 * `node --enable-source-maps /opt/flotilla/<bundle>`. The bundle's source map (<bundle>.map)
 * comes along when it exists. Any change of the base, the bundle, the extras or pause makes a
 * new tag.
 */
export async function ensureNode(ctx: RecipeContext, opts: NodeImageOptions, base?: BaseImage): Promise<NodeImage> {
  const baseImage = base ?? (await ensureBase(ctx));
  const pause = await resolvePause(ctx);
  const bundle = path.resolve(opts.bundleFile);
  if (!existsSync(bundle)) throw new Error(`the node agent bundle ${bundle} does not exist: build it first`);
  const agentPath = `${AGENT_DIR}/${path.basename(bundle)}`;
  const extras = [...(existsSync(`${bundle}.map`) ? [`${bundle}.map`] : []), ...(opts.extraFiles ?? []).map((f) => path.resolve(f))];
  const names = new Set([path.basename(bundle)]);
  for (const extra of extras) {
    if (names.has(path.basename(extra))) throw new Error(`two node image files are named ${path.basename(extra)}`);
    names.add(path.basename(extra));
  }
  const template = await readFile(path.join(ctx.resourcesDir, 'node', 'Dockerfile'), 'utf8');
  const dockerfile = template.replaceAll('@AGENT@', agentPath);
  const pauseFile = pause.kind === 'static' ? pause.binary : pause.script;
  const hash = inputsHash({
    recipe: RECIPE_VERSION,
    kind: 'node',
    base: baseImage.tag,
    pause: { variant: pause.kind, source: pause.sourceHash },
    files: await Promise.all([bundle, ...extras].map(async (f) => ({ name: path.basename(f), sha: await sha256File(f) }))),
    dockerfile: sha256(dockerfile),
  });
  const tag = `${NODE_REPO}:${hash}`;
  const image = await ensureTagged(ctx, {
    kind: 'node',
    tag,
    hash,
    build: (labels, reporter) => {
      const files: ContextFile[] = [
        { name: 'Dockerfile', content: dockerfile },
        { name: 'pause', file: pauseFile, mode: 0o755 },
        ...[bundle, ...extras].map((f) => ({ name: `agent/${path.basename(f)}`, file: f, mode: 0o644 })),
      ];
      return buildImage(ctx.docker, {
        context: tarContext(files),
        tag,
        buildargs: { BASE_IMAGE: baseImage.tag },
        labels: { ...labels, 'flotilla.dev/agent': agentPath, 'flotilla.dev/pause-variant': pause.kind },
        reporter,
      });
    },
  });
  return { ...image, agentPath };
}

/** Public entry: `ensureNodeImage(docker, { bundleFile, onProgress })`. */
export function ensureNodeImage(docker: Docker, opts: NodeImageOptions & ImageOptions): Promise<NodeImage> {
  return ensureNode(resolveContext(docker, opts), opts);
}
