import type Docker from 'dockerode';
import { ensureBase } from './baseImage';
import { resolveContext } from './context';
import { HELLO_VERSIONS, ensureHello } from './helloImage';
import { type NodeImageOptions, ensureNode } from './nodeImage';
import { ensurePause } from './pauseImage';
import type { BaseImage, EnsuredImage, ImageOptions, NodeImage, PauseImage } from './types';

export { ensureBaseImage } from './baseImage';
export { ensureHelloImage, HELLO_REPO, HELLO_VERSIONS } from './helloImage';
export { ensureNodeImage, AGENT_DIR, NODE_REPO } from './nodeImage';
export { ensurePauseImage, PAUSE_REPO } from './pauseImage';
export { LABEL_INPUTS_HASH, LABEL_KIND, defaultCacheDir } from './paths';
export type * from './types';

export interface EnsureImagesOptions extends ImageOptions, NodeImageOptions {}

/** The image references the cluster uses, plus how each came to be. */
export interface FlotillaImages {
  node: string;
  pause: string;
  hello: { v1: string; v2: string };
  base: string;
  details: { base: BaseImage; node: NodeImage; pause: PauseImage; hello: { v1: EnsuredImage; v2: EnsuredImage } };
}

/**
 * Makes sure every image a cluster needs exists and is current: base, pause, node and the two
 * hello versions. Cached images are checked, not rebuilt (a few inspect calls); progress goes to
 * onProgress as {image, kind, phase: 'cached' | 'building' | 'done', message}, where a building
 * event may carry a stage (step and count) or be a raw line of tool output (progress.ts).
 */
export async function ensureImages(docker: Docker, opts: EnsureImagesOptions): Promise<FlotillaImages> {
  const ctx = resolveContext(docker, opts);
  const base = await ensureBase(ctx);
  const pause = await ensurePause(ctx, async () => base);
  const node = await ensureNode(ctx, opts, base);
  const v1 = await ensureHello(ctx, HELLO_VERSIONS[0], base);
  const v2 = await ensureHello(ctx, HELLO_VERSIONS[1], base);
  return {
    node: node.tag,
    pause: pause.tag,
    hello: { v1: v1.tag, v2: v2.tag },
    base: base.tag,
    details: { base, node, pause, hello: { v1, v2 } },
  };
}
