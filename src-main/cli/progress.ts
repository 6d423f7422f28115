import { systemClock, type Clock } from '../api/clock.js';
import { describeStage } from '../images/progress.js';
import type { ImageProgress } from '../images/types.js';
import { BuildLogFile } from './progressLog.js';
import { LABEL_WIDTH, PlainRenderer, TtyRenderer, formatElapsed, useColor, type OutputStream, type ProgressRenderer, type ShownStage } from './progressRender.js';

// What `flotilla up` shows while it builds images: the image recipes report stages, notes and
// raw tool output (images/progress.ts); this turns them into a heads-up, one line per stage and
// a log file. Raw output goes to the log, and to the screen only with --verbose.

/**
 * How long a first start's builds take, said up front. Measured cold (fresh cache folder, new
 * image names) on a 2-core VM with a fast Debian mirror: 60 s in all when the machine was
 * quiet, of which debootstrap 40 s (resolving 11, downloading 112 packages 7, installing 22),
 * packing the rootfs 5 s, import 3 s, base 3 s, pause, node and both hello images 6 s; the
 * rootfs part alone took 100 s while other test runs kept both cores busy. A slow mirror
 * stretches the download to minutes; an unreachable registry, when pulls are allowed, adds up
 * to a minute before the offline path is taken.
 */
export const FIRST_BUILD_ESTIMATE = 'about 1-3 minutes, longer on a slow connection';

export interface ImageBuildProgressOptions {
  out: OutputStream;
  /** The build log's path (cli/progressLog.ts: <data>/logs/image-build.log). */
  logFile: string;
  /** Stream every raw line too, and print stages as plain lines. */
  verbose?: boolean;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Redraw the running clock each second on a terminal (off in tests, which tick by hand). */
  autoTick?: boolean;
}

/** Short name of an image for the progress lines: "base", "hello:1.0", "node:22-slim". */
export function imageLabel(image: string): string {
  const name = image.replace(/^flotilla\//, '');
  const colon = name.lastIndexOf(':');
  if (colon < 0) return name;
  // The recipes' tags are their inputs' hash: meaningless on screen.
  return /^[0-9a-f]{16}$/.test(name.slice(colon + 1)) ? name.slice(0, colon) : name;
}

export class ImageBuildProgress {
  readonly renderer: ProgressRenderer;
  private readonly log: BuildLogFile;
  private readonly clock: Clock;
  private readonly verbose: boolean;
  private startedAt: number | undefined;
  private active: (ShownStage & { image: string }) | undefined;
  private last: ImageProgress | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ImageBuildProgressOptions) {
    this.clock = opts.clock ?? systemClock;
    this.verbose = opts.verbose ?? false;
    const env = opts.env ?? process.env;
    const tty = Boolean(opts.out.isTTY) && env.TERM !== 'dumb' && !this.verbose;
    this.renderer = tty ? new TtyRenderer(opts.out, this.clock, useColor(opts.out, env)) : new PlainRenderer(opts.out, this.clock);
    if (tty && (opts.autoTick ?? true)) {
      this.ticker = setInterval(() => this.renderer.tick(), 1000);
      this.ticker.unref();
    }
    this.log = new BuildLogFile(opts.logFile);
  }

  /** The onProgress callback for ensureImages (via the control plane's onImageProgress). */
  readonly onImageProgress = (event: ImageProgress): void => {
    this.last = event;
    if (event.phase === 'cached') return;
    if (this.startedAt === undefined) this.begin(event);
    const label = imageLabel(event.image);
    // Every line but the counts: those are one per raw line, which the log already has.
    if (event.stage?.state !== 'progress') this.log.write(`[${formatElapsed(this.clock.now() - this.startedAt!)}] ${label} | ${event.message}`);
    if (event.raw) {
      if (this.verbose) this.print(`${label} | ${event.message}`);
      return;
    }
    if (event.phase === 'done') {
      this.endActive(false);
      this.renderer.print(`✓ ${label.padEnd(LABEL_WIDTH)} ${event.message}`);
      return;
    }
    const stage = event.stage;
    if (!stage) {
      this.renderer.print(`  ${label.padEnd(LABEL_WIDTH)} ${event.message}`);
      return;
    }
    const text = describeStage(stage);
    if (stage.state === 'start' || !this.active || this.active.image !== event.image) {
      this.endActive(false);
      this.active = { image: event.image, label, text, startedAt: this.clock.now() };
    }
    this.active.text = text;
    if (stage.state === 'end') this.endActive(Boolean(stage.failed));
    else this.renderer.update(this.active);
  };

  /** Another line for the terminal (the control plane's log) without breaking the stage line. */
  print(line: string): void {
    this.renderer.print(line);
  }

  /**
   * Call when `up` fails. When it failed while an image was being built, marks the stage failed
   * and says where the whole build log is; returns whether it did.
   */
  failed(err: Error): boolean {
    const building = this.last !== undefined && this.last.phase === 'building';
    if (!building) return false;
    this.endActive(true);
    this.log.write(`[${formatElapsed(this.clock.now() - (this.startedAt ?? this.clock.now()))}] failed: ${err.message}`);
    this.renderer.print(`The image build failed. Full build log: ${this.opts.logFile}`);
    return true;
  }

  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.log.close();
  }

  private begin(event: ImageProgress): void {
    this.startedAt = this.clock.now();
    this.log.write(`flotilla image build, ${new Date(this.clock.now()).toISOString()}`);
    // A missing base means a first start (or a changed package list): the long build, once.
    if (event.kind === 'base' || event.kind === 'rootfs') {
      this.renderer.print(`First start: building the node images once; this takes ${FIRST_BUILD_ESTIMATE}.`);
    } else {
      this.renderer.print('Rebuilding the images whose inputs changed.');
    }
    this.renderer.print(`Full build log: ${this.opts.logFile}${this.verbose ? '' : ' (--verbose shows it here)'}`);
  }

  private endActive(failed: boolean): void {
    if (!this.active) return;
    this.renderer.finish(this.active, failed);
    this.active = undefined;
  }
}
