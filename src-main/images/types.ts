import type Docker from 'dockerode';

/** Which recipe an event or result belongs to. */
export type ImageKind = 'rootfs' | 'base' | 'pause' | 'node' | 'hello';

/**
 * One progress report. `cached`: the tag exists with the same inputs, nothing is built;
 * `building`: work is under way (message says what); `done`: the image is ready.
 * A `building` event may also carry a `stage` (a step of the build and how far it is) or be a
 * `raw` line of a build tool's output; see progress.ts, which is how the recipes emit them.
 */
export interface ImageProgress {
  image: string;
  kind: ImageKind;
  phase: 'cached' | 'building' | 'done';
  message: string;
  stage?: BuildStage;
  /** The message is one line of a tool's own output (debootstrap, docker build, gcc): for the build log and verbose output. */
  raw?: boolean;
}

/** A step of an image's build, as reported when it starts, advances and ends. */
export interface BuildStage {
  state: 'start' | 'progress' | 'end';
  /** What the step does, e.g. "debootstrap: downloading", "docker build"; the same on all of its events. */
  name: string;
  /** How far it is, when the tool says: `done` of `total` `unit`s (total may be unknown). */
  done?: number;
  total?: number;
  unit?: 'packages' | 'steps' | 'bytes';
  /** On `end`: the step did not succeed (the build may still go on another way). */
  failed?: boolean;
}

export type ProgressFn = (event: ImageProgress) => void;

/** An image that exists in the engine after an ensure call. */
export interface EnsuredImage {
  tag: string;
  id: string;
  /** The value of the `flotilla.dev/inputs-hash` label: a hash of everything the build reads. */
  inputsHash: string;
  cached: boolean;
}

/** How the base image was made: from an official node:*-slim image, or offline. */
export type BaseSource = { kind: 'slim'; image: string } | { kind: 'offline'; suite: string; nodeBinary: string };

export interface BaseImage extends EnsuredImage {
  source: BaseSource;
}

export type PauseVariant =
  | { kind: 'static'; binary: string }
  | { kind: 'shell'; script: string; reason: string };

export interface PauseImage extends EnsuredImage {
  variant: PauseVariant['kind'];
  /** Why the shell fallback was taken, when it was. */
  fallbackReason?: string;
}

export interface NodeImage extends EnsuredImage {
  /** Where the bundled kubelet/proxy JavaScript is inside the image (also $FLOTILLA_AGENT). */
  agentPath: string;
}

/** Options shared by every recipe; everything has a default. */
export interface ImageOptions {
  onProgress?: ProgressFn;
  /**
   * May a missing node:*-slim base be pulled? Defaults to true unless FLOTILLA_OFFLINE or
   * FLOTILLA_NO_PULL is set. A pull is only tried when no base is cached and none is local.
   */
  pull?: boolean;
  /** How long a pull may take before the offline path is used instead. */
  pullTimeoutMs?: number;
  /** The Linux Node.js binary copied into an offline base. Default: this process's node. */
  nodeBinary?: string;
  /** Where rootfs tarballs, compiled pause binaries and locks are kept. */
  cacheDir?: string;
  /** The folder holding base/, node/, pause/ and hello/ recipes. */
  resourcesDir?: string;
  /** Debian mirror for debootstrap. Default: $FLOTILLA_DEBIAN_MIRROR or deb.debian.org. */
  debianMirror?: string;
  /** C compiler for the static pause binary. Default: $CC or gcc. */
  cc?: string;
}

/** Options resolved once and passed to every recipe. */
export interface RecipeContext {
  docker: Docker;
  onProgress: ProgressFn;
  pull: boolean;
  pullTimeoutMs: number;
  nodeBinary?: string;
  cacheDir: string;
  resourcesDir: string;
  debianMirror: string;
  cc: string;
}
