import type { BuildStage, ImageKind, ProgressFn } from './types';

// How a recipe tells what its build is doing. A build is a few stages (debootstrap's phases,
// tar, docker import, docker build, a check), each with a count when the tool gives one, plus
// the tools' raw output. Everything goes out as ImageProgress events through the one onProgress
// callback, so the CLI, the desktop app and tests all see the same stream; the CLI turns it
// into one updating line per stage (cli/progress.ts) and keeps the raw lines in a log file.

/** A stage's name and count as one phrase: "debootstrap: unpacking 45/112 packages (40%)". */
export function describeStage(stage: Omit<BuildStage, 'state'>): string {
  if (stage.done === undefined) return stage.name;
  if (stage.unit === 'bytes') {
    const done = megabytes(stage.done);
    if (!stage.total) return `${stage.name} ${done}`;
    return `${stage.name} ${done}/${megabytes(stage.total)} (${percent(stage.done, stage.total)}%)`;
  }
  const unit = stage.unit && stage.unit !== 'steps' ? ` ${stage.unit}` : '';
  if (!stage.total) return `${stage.name} ${stage.done}${unit}`;
  const shown = Math.min(stage.done, stage.total);
  return `${stage.name} ${shown}/${stage.total}${unit} (${percent(shown, stage.total)}%)`;
}

function percent(done: number, total: number): number {
  return Math.min(100, Math.floor((done / total) * 100));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * What one image's build reports: notes, stages (start/progress/end; starting a stage ends the
 * one before) and raw tool output. One per image build, made by ensureTagged (and by the steps
 * outside it: the rootfs under the base, a pull, compiling pause).
 */
export class BuildReporter {
  private current: Omit<BuildStage, 'state'> | undefined;

  constructor(
    private readonly emit: ProgressFn,
    readonly image: string,
    readonly kind: ImageKind,
  ) {}

  /** A sentence for the user (a fallback taken, a wait on another process). */
  note(message: string): void {
    this.emit({ image: this.image, kind: this.kind, phase: 'building', message });
  }

  /** One line of a tool's own output. */
  log(line: string): void {
    this.emit({ image: this.image, kind: this.kind, phase: 'building', message: line, raw: true });
  }

  start(name: string, count: { done?: number; total?: number; unit?: BuildStage['unit'] } = {}): void {
    if (this.current) this.end();
    this.current = { name, ...count };
    this.send('start');
  }

  /** Advances the current stage; nothing happens when none is started or nothing changed. */
  progress(done: number, total?: number): void {
    const stage = this.current;
    if (!stage || (stage.done === done && (total === undefined || stage.total === total))) return;
    stage.done = done;
    if (total !== undefined) stage.total = total;
    this.send('progress');
  }

  /** Ends the current stage, if any. */
  end(outcome: { failed?: boolean } = {}): void {
    if (!this.current) return;
    this.send('end', outcome.failed ? { failed: true } : {});
    this.current = undefined;
  }

  /** Runs `work` as one stage: ended when it settles, marked failed when it throws. */
  async stage<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.start(name);
    try {
      const result = await work();
      this.end();
      return result;
    } catch (err) {
      this.end({ failed: true });
      throw err;
    }
  }

  private send(state: BuildStage['state'], extra: Partial<BuildStage> = {}): void {
    const stage: BuildStage = { state, ...this.current!, ...extra };
    this.emit({ image: this.image, kind: this.kind, phase: 'building', message: describeStage(stage), stage });
  }
}
