import { systemClock, type Clock } from '../api/clock.js';
import type { Container } from '../api/types.js';
import type { Backoff } from './backoff.js';
import type { ContainerRuntime } from './runtime.js';

// imagePullPolicy as kube's kubelet applies it (images/image_manager.go EnsureImageExists),
// with the waiting reasons and events kubectl users know: ErrImagePull on a failed pull,
// ImagePullBackOff while the per-(pod, image) backoff runs, ErrImageNeverPull for a missing
// image with policy Never, InvalidImageName for an unparsable reference.
//
// Flotilla runs on a desktop Docker engine that may be offline, so two rules differ from kube,
// both to keep images built on this machine usable and to send no traffic to a registry when
// none may be used:
// - `pulls: false` (offline mode) never contacts a registry: a missing image fails like a
//   failed pull, with a message that says so.
// - images under `flotilla/` are built locally by Flotilla and are never pulled.
// - with policy Always, a failed pull falls back to the image already on the machine (with a
//   Warning event), since locally built `:latest` images exist in no registry.

export type EnsureImageResult =
  | { ok: true; imageId: string }
  | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'; message: string; retryAfterMs: number };

export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface ImageManagerOptions {
  /** false: never contact a registry (offline desktop, CI). */
  pulls: boolean;
  backoff: Backoff;
  clock?: Clock;
}

const LOCAL_ONLY = /^flotilla\//;

export function isValidImageName(image: string | undefined): image is string {
  if (!image || /\s/.test(image)) return false;
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repo = colon > slash ? name.slice(0, colon) : name;
  const firstSlash = repo.indexOf('/');
  const first = firstSlash >= 0 ? repo.slice(0, firstSlash) : '';
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const path = isHost ? repo.slice(firstSlash + 1) : repo;
  return /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path);
}

export class ImageManager {
  private readonly pulling = new Map<string, Promise<void>>();

  constructor(
    private readonly runtime: Pick<ContainerRuntime, 'imageId' | 'pull'>,
    private readonly o: ImageManagerOptions,
  ) {}

  async ensure(c: Container, backoffKey: string, event: ImageEvent): Promise<EnsureImageResult> {
    const image = c.image;
    if (!isValidImageName(image)) {
      const message = `Failed to apply default image tag "${image ?? ''}": couldn't parse image name "${image ?? ''}": invalid reference format`;
      event('Warning', 'InspectFailed', message);
      return { ok: false, reason: 'InvalidImageName', message, retryAfterMs: 10_000 };
    }
    const policy = c.imagePullPolicy ?? 'IfNotPresent';
    const present = await this.runtime.imageId(image);
    if (policy === 'Never' && !present) {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message, retryAfterMs: 10_000 };
    }
    const canPull = this.o.pulls && !LOCAL_ONLY.test(image);
    const shouldPull = !present || (policy === 'Always' && canPull);
    if (!shouldPull) {
      event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true, imageId: present! };
    }
    const wait = this.o.backoff.remainingSinceUpdate(backoffKey);
    if (wait > 0) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', 'BackOff', message);
      return { ok: false, reason: 'ImagePullBackOff', message, retryAfterMs: wait };
    }
    event('Normal', 'Pulling', `Pulling image "${image}"`);
    const clock = this.o.clock ?? systemClock;
    const t0 = clock.now();
    try {
      if (!canPull) throw new Error(LOCAL_ONLY.test(image) ? `${image} is built locally by Flotilla and is not on this machine` : 'the image is not on this machine and image pulls are disabled (offline)');
      await this.pullOnce(image);
    } catch (e) {
      const reason = (e as Error).message || String(e);
      if (present) {
        event('Warning', 'Failed', `Failed to pull image "${image}": ${reason}; using the image already present on the machine`);
        return { ok: true, imageId: present };
      }
      const delay = this.o.backoff.next(backoffKey);
      const message = `Failed to pull image "${image}": ${reason}`;
      event('Warning', 'Failed', message);
      event('Warning', 'Failed', 'Error: ErrImagePull');
      return { ok: false, reason: 'ErrImagePull', message, retryAfterMs: delay };
    }
    this.o.backoff.reset(backoffKey);
    const id = await this.runtime.imageId(image);
    event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${((clock.now() - t0) / 1000).toFixed(3)}s`);
    if (!id) return { ok: false, reason: 'ErrImagePull', message: `image "${image}" is missing after a successful pull`, retryAfterMs: 1000 };
    return { ok: true, imageId: id };
  }

  /** One pull per image at a time; concurrent callers share it. */
  private pullOnce(image: string): Promise<void> {
    let p = this.pulling.get(image);
    if (!p) {
      p = this.runtime.pull(image).finally(() => this.pulling.delete(image));
      this.pulling.set(image, p);
    }
    return p;
  }
}
