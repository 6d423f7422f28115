import type { Clock } from '../api/clock.js';

// The two ways `flotilla up` shows an image build. On a terminal, the stage under way is one
// line redrawn in place (carriage return, erase line) with its count and a running clock, and
// is left behind, ticked, when it ends. Anywhere else (CI, a pipe, a file) there is nothing to
// redraw, so each stage is printed once, as it ends, with its count and how long it took.

/** Where the lines go: process.stderr, or a fake in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One stage of one image's build, as shown. */
export interface ShownStage {
  /** Short name of the image: "base", "hello:1.0". */
  label: string;
  /** What it does and how far it is: "debootstrap: unpacking 45/112 packages (40%)". */
  text: string;
  startedAt: number;
}

export interface ProgressRenderer {
  /** A line that stays: a notice, a note, a finished image, a line of other output. */
  print(text: string): void;
  /** The stage under way began or advanced. */
  update(stage: ShownStage): void;
  /** The stage is over. */
  finish(stage: ShownStage, failed: boolean): void;
  /** Redraws the running clock (a terminal's renderer is ticked once a second). */
  tick(): void;
}

/** 0:09, 4:05, 1:02:03. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** https://no-color.org: colour only on a terminal, and never when NO_COLOR is set and not empty. */
export function useColor(out: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** Columns given to the image's name, so that the stages line up. */
export const LABEL_WIDTH = 9;

interface Style {
  mark(kind: 'ok' | 'failed' | 'active'): string;
  dim(text: string): string;
}

function style(color: boolean): Style {
  const marks = { ok: '✓', failed: '✗', active: '…' };
  if (!color) return { mark: (kind) => marks[kind], dim: (text) => text };
  const codes = { ok: '32', failed: '31', active: '36' };
  return { mark: (kind) => `\x1b[${codes[kind]}m${marks[kind]}\x1b[0m`, dim: (text) => `\x1b[2m${text}\x1b[0m` };
}

/** The plain words of a stage line, before any colour: mark, label, text, time. */
function stageLine(s: Style, kind: 'ok' | 'failed' | 'active', stage: ShownStage, elapsed: string, width?: number): string {
  const label = stage.label.padEnd(LABEL_WIDTH);
  let text = stage.text;
  // A line longer than the terminal wraps, and \r then only returns to the start of its last
  // row: shorten the text so that the whole line fits on one.
  if (width) {
    const room = width - 1 - (2 + LABEL_WIDTH + 1 + 2 + elapsed.length);
    if (text.length > room) text = room > 1 ? `${text.slice(0, room - 1)}…` : '';
  }
  return `${s.mark(kind)} ${label} ${text}  ${s.dim(elapsed)}`;
}

const CLEAR_LINE = '\r\x1b[2K';

/** A terminal: the stage under way is one line, redrawn in place. */
export class TtyRenderer implements ProgressRenderer {
  private active: ShownStage | undefined;
  private readonly s: Style;

  constructor(
    private readonly out: OutputStream,
    private readonly clock: Clock,
    color: boolean,
  ) {
    this.s = style(color);
  }

  print(text: string): void {
    this.out.write(`${CLEAR_LINE}${text}\n`);
    if (this.active) this.draw();
  }

  update(stage: ShownStage): void {
    this.active = stage;
    this.draw();
  }

  finish(stage: ShownStage, failed: boolean): void {
    this.active = undefined;
    const elapsed = formatElapsed(this.clock.now() - stage.startedAt);
    this.out.write(`${CLEAR_LINE}${stageLine(this.s, failed ? 'failed' : 'ok', stage, elapsed, this.out.columns)}\n`);
  }

  tick(): void {
    if (this.active) this.draw();
  }

  private draw(): void {
    const stage = this.active!;
    const elapsed = formatElapsed(this.clock.now() - stage.startedAt);
    this.out.write(`${CLEAR_LINE}${stageLine(this.s, 'active', stage, elapsed, this.out.columns)}`);
  }
}

/** Not a terminal: one line per stage, printed when it ends; no carriage returns, no colour. */
export class PlainRenderer implements ProgressRenderer {
  private readonly s = style(false);

  constructor(
    private readonly out: OutputStream,
    private readonly clock: Clock,
  ) {}

  print(text: string): void {
    this.out.write(`${text}\n`);
  }

  update(_stage: ShownStage): void {
    // Shown once, when it ends, with its final count.
  }

  finish(stage: ShownStage, failed: boolean): void {
    this.out.write(`${stageLine(this.s, failed ? 'failed' : 'ok', stage, formatElapsed(this.clock.now() - stage.startedAt))}\n`);
  }

  tick(): void {}
}
