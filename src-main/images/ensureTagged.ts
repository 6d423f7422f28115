import path from 'node:path';
import { inspectImage } from './dockerOps';
import { withFileLock } from './fileLock';
import { LABEL_INPUTS_HASH, LABEL_KIND, LABEL_RECIPE, RECIPE_VERSION } from './paths';
import { BuildReporter } from './progress';
import type { EnsuredImage, ImageKind, RecipeContext } from './types';

export interface TagSpec {
  kind: ImageKind;
  tag: string;
  hash: string;
  /** Builds the image under spec.tag with the given labels, telling `reporter` how it goes; returns its id. */
  build: (labels: Record<string, string>, reporter: BuildReporter) => Promise<string>;
}

// One build per tag at a time within this process; the lock file covers other processes.
const inflight = new Map<string, Promise<EnsuredImage>>();

function cachedResult(tag: string, id: string, hash: string): EnsuredImage {
  return { tag, id, inputsHash: hash, cached: true };
}

/**
 * The caching rule every recipe follows: when the tag exists and its inputs-hash label equals
 * the hash of the current inputs, nothing is built; otherwise it is (re)built under a lock.
 */
export async function ensureTagged(ctx: RecipeContext, spec: TagSpec): Promise<EnsuredImage> {
  const report = (phase: 'cached' | 'building' | 'done', message: string): void =>
    ctx.onProgress({ image: spec.tag, kind: spec.kind, phase, message });
  const current = await inspectImage(ctx.docker, spec.tag);
  if (current && current.labels[LABEL_INPUTS_HASH] === spec.hash) {
    report('cached', `${spec.tag} is up to date`);
    return cachedResult(spec.tag, current.id, spec.hash);
  }
  const running = inflight.get(spec.tag);
  if (running) return running;
  const lockFile = path.join(ctx.cacheDir, 'locks', `${spec.tag.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
  const job = withFileLock(
    lockFile,
    async () => {
      const again = await inspectImage(ctx.docker, spec.tag);
      if (again && again.labels[LABEL_INPUTS_HASH] === spec.hash) {
        report('cached', `${spec.tag} was built by another process`);
        return cachedResult(spec.tag, again.id, spec.hash);
      }
      const started = Date.now();
      report('building', again ? `rebuilding ${spec.tag}: its inputs changed` : `building ${spec.tag}`);
      const labels = { [LABEL_INPUTS_HASH]: spec.hash, [LABEL_KIND]: spec.kind, [LABEL_RECIPE]: RECIPE_VERSION };
      const reporter = new BuildReporter(ctx.onProgress, spec.tag, spec.kind);
      const id = await spec.build(labels, reporter);
      reporter.end();
      if (again && again.id !== id) {
        // The superseded image is now untagged; drop it unless a container still uses it.
        await ctx.docker.getImage(again.id).remove().catch(() => undefined);
      }
      report('done', `built ${spec.tag} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { tag: spec.tag, id, inputsHash: spec.hash, cached: false };
    },
    (owner) => report('building', `waiting for process ${owner}, which is building ${spec.tag}`),
  ).finally(() => inflight.delete(spec.tag));
  inflight.set(spec.tag, job);
  return job;
}
