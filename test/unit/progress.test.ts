// The image build's progress: reading debootstrap's and the engine's output into stages, the
// reporter the recipes call, the two renderers (a terminal's redrawn line, plain lines for CI
// and pipes) and the view `flotilla up` uses, with its log file. Time is a ManualClock; output
// goes to a fake stream.
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src-main/api/clock';
import { ImageBuildProgress, imageLabel } from '../../src-main/cli/progress';
import { buildLogPath } from '../../src-main/cli/progressLog';
import { PlainRenderer, TtyRenderer, formatElapsed, useColor } from '../../src-main/cli/progressRender';
import { DEBOOTSTRAP_STAGES, DebootstrapProgress, dockerBuildStep, type StageReading } from '../../src-main/images/buildOutput';
import { run } from '../../src-main/images/debootstrap';
import { PullProgress } from '../../src-main/images/dockerOps';
import { BuildReporter, describeStage } from '../../src-main/images/progress';
import type { ImageProgress } from '../../src-main/images/types';

/** A terminal (or not) that keeps what is written to it. */
class FakeStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  /** What a terminal shows: each \r returns to the start of the row, \x1b[2K erases it. */
  get screen(): string[] {
    const rows: string[] = [''];
    // eslint-disable-next-line no-control-regex -- the erase-line sequence starts with ESC
    for (const part of this.text.split(/(\r|\n|\x1b\[2K)/)) {
      if (part === '\n') rows.push('');
      else if (part === '\x1b[2K' || part === '\r') rows[rows.length - 1] = part === '\r' ? rows[rows.length - 1]! : '';
      else rows[rows.length - 1] += part;
    }
    return rows;
  }
}

const FIXTURE = path.resolve(__dirname, '../fixtures/debootstrap-bookworm-minbase.txt');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'flotilla-progress-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("reading the tools' output", () => {
  it('reads the Dockerfile step of a build line', () => {
    expect(dockerBuildStep('Step 3/7 : RUN apt-get install -y iptables')).toEqual({ step: 3, total: 7, instruction: 'RUN apt-get install -y iptables' });
    expect(dockerBuildStep(' ---> Running in 0a1b2c')).toBeUndefined();
    expect(dockerBuildStep('Successfully tagged flotilla/hello:1.0')).toBeUndefined();
  });

  it("turns a recorded debootstrap run into its stages, each counted up to a known total", () => {
    // Output of `debootstrap --variant=minbase --include=ca-certificates,iproute2,iptables,util-linux bookworm`.
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const tracker = new DebootstrapProgress();
    const stages: { name: string; readings: StageReading[] }[] = [];
    for (const line of lines) {
      const reading = tracker.read(line);
      if (!reading) continue;
      if (stages.at(-1)?.name !== reading.name) stages.push({ name: reading.name, readings: [] });
      stages.at(-1)!.readings.push(reading);
    }
    const S = DEBOOTSTRAP_STAGES;
    expect(stages.map((s) => s.name)).toEqual([
      S.resolving,
      S.downloading,
      S.extracting,
      S.unpackingRequired,
      S.configuringRequired,
      S.unpackingBase,
      S.configuringBase,
    ]);
    const last = (name: string) => stages.find((s) => s.name === name)!.readings.at(-1)!;
    const retrieved = lines.filter((l) => /^I: Retrieving \S+ \S+$/.test(l.trim())).length;
    const extracted = lines.filter((l) => l.startsWith('I: Extracting ')).length;
    expect(last(S.downloading)).toEqual({ name: S.downloading, done: retrieved, unit: 'packages' });
    expect(last(S.extracting)).toMatchObject({ done: extracted });
    // Each round ends complete: the required packages, then the rest of what was downloaded.
    expect(last(S.unpackingRequired)).toMatchObject({ done: extracted, total: extracted });
    expect(last(S.configuringRequired)).toMatchObject({ done: extracted, total: extracted });
    expect(last(S.unpackingBase)).toMatchObject({ done: retrieved - extracted, total: retrieved - extracted });
    expect(last(S.configuringBase)).toMatchObject({ done: retrieved - extracted, total: retrieved - extracted });
    // Within a stage the count never goes back and never passes the total.
    for (const stage of stages) {
      let previous = -1;
      for (const r of stage.readings) {
        if (r.done === undefined) continue;
        expect(r.done).toBeGreaterThanOrEqual(previous);
        if (r.total !== undefined) expect(r.done).toBeLessThanOrEqual(r.total);
        previous = r.done;
      }
    }
    // Warnings and the closing line are not stages.
    expect(tracker.read('W: Failure trying to run: chroot "/tmp/x" mount -t proc proc /proc')).toBeUndefined();
    expect(tracker.read('I: Base system installed successfully.')).toBeUndefined();
  });

  it('sums the layers of a pull into one byte count', () => {
    const pull = new PullProgress();
    expect(pull.read({ status: 'Pulling from library/node', id: '22-slim' })).toBeUndefined();
    expect(pull.read({ status: 'Downloading', id: 'a', progressDetail: { current: 10, total: 100 } })).toEqual({ done: 10, total: 100 });
    expect(pull.read({ status: 'Downloading', id: 'b', progressDetail: { current: 5, total: 50 } })).toEqual({ done: 15, total: 150 });
    expect(pull.read({ status: 'Download complete', id: 'a' })).toEqual({ done: 105, total: 150 });
    expect(pull.read({ status: 'Extracting', id: 'a', progressDetail: { current: 1, total: 100 } })).toBeUndefined();
  });

  it('hands on whole lines even when a line arrives in pieces', async () => {
    // The child writes half a line, waits for its output to be read, then the rest.
    const script = "process.stdout.write('I: Retrie', () => setTimeout(() => { process.stdout.write('ving adduser 3.134\\nI: Valid'); process.stdout.write('ating adduser 3.134\\r\\nlast line without newline'); }, 50));";
    const lines: string[] = [];
    await run(process.execPath, ['-e', script], (line) => lines.push(line));
    expect(lines).toEqual(['I: Retrieving adduser 3.134', 'I: Validating adduser 3.134', 'last line without newline']);
  });
});

describe('the reporter the recipes call', () => {
  it('sends stages, counts and raw lines as events; a new stage ends the one before', async () => {
    const events: ImageProgress[] = [];
    const r = new BuildReporter((e) => events.push(e), 'flotilla/base:0123456789abcdef', 'base');
    r.note('building on node:22-slim');
    r.start('docker build', { unit: 'steps' });
    r.log('Step 1/2 : FROM node:22-slim');
    r.progress(1, 2);
    r.progress(1, 2); // no change, no event
    r.start('checking that node runs in it');
    r.end();
    r.end(); // nothing open: nothing sent
    await expect(r.stage('failing', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(events.map((e) => [e.stage?.state ?? (e.raw ? 'raw' : 'note'), e.message])).toEqual([
      ['note', 'building on node:22-slim'],
      ['start', 'docker build'],
      ['raw', 'Step 1/2 : FROM node:22-slim'],
      ['progress', 'docker build 1/2 (50%)'],
      ['end', 'docker build 1/2 (50%)'],
      ['start', 'checking that node runs in it'],
      ['end', 'checking that node runs in it'],
      ['start', 'failing'],
      ['end', 'failing'],
    ]);
    expect(events.at(-1)!.stage).toMatchObject({ state: 'end', failed: true });
    expect(events.every((e) => e.phase === 'building' && e.kind === 'base')).toBe(true);
  });

  it('describes a stage with its count, percent or size', () => {
    expect(describeStage({ name: 'debootstrap: downloading', done: 57, unit: 'packages' })).toBe('debootstrap: downloading 57 packages');
    expect(describeStage({ name: 'debootstrap: unpacking (base system)', done: 6, total: 24, unit: 'packages' })).toBe('debootstrap: unpacking (base system) 6/24 packages (25%)');
    expect(describeStage({ name: 'docker build', done: 3, total: 8, unit: 'steps' })).toBe('docker build 3/8 (37%)');
    expect(describeStage({ name: 'docker import', done: 17_200_000, total: 34_400_000, unit: 'bytes' })).toBe('docker import 17.2 MB/34.4 MB (50%)');
    expect(describeStage({ name: 'packing the root filesystem (tar)' })).toBe('packing the root filesystem (tar)');
  });
});

describe('the renderers', () => {
  const stage = (text: string, startedAt = 0) => ({ label: 'base', text, startedAt });

  it('formats elapsed time as m:ss, or h:mm:ss', () => {
    expect(formatElapsed(0)).toBe('0:00');
    expect(formatElapsed(9_999)).toBe('0:09');
    expect(formatElapsed(245_000)).toBe('4:05');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
  });

  it('on a terminal, redraws one line in place with the running time, and leaves it ticked when done', () => {
    const out = new FakeStream(true, 80);
    const clock = new ManualClock(1_000);
    const r = new TtyRenderer(out, clock, false);
    const s = stage('debootstrap: downloading 1 packages', 1_000);
    r.update(s);
    s.text = 'debootstrap: downloading 40 packages';
    clock.advance(12_000);
    r.update(s);
    expect(out.screen).toEqual(['… base      debootstrap: downloading 40 packages  0:12']);
    clock.advance(1_000);
    r.tick();
    expect(out.screen).toEqual(['… base      debootstrap: downloading 40 packages  0:13']);
    // A line of other output goes above the stage line, which stays at the bottom.
    r.print('a log line');
    expect(out.screen).toEqual(['a log line', '… base      debootstrap: downloading 40 packages  0:13']);
    s.text = 'debootstrap: downloading 112 packages';
    r.finish(s, false);
    expect(out.screen).toEqual(['a log line', '✓ base      debootstrap: downloading 112 packages  0:13', '']);
    r.tick(); // nothing under way: nothing drawn
    expect(out.screen.at(-1)).toBe('');
    r.update(stage('docker build', clock.now()));
    r.finish(stage('docker build 2/5 (40%)', clock.now()), true);
    expect(out.screen.at(-2)).toBe('✗ base      docker build 2/5 (40%)  0:00');
    // Every redraw returns to the start of the row and erases it; no newline until the end.
    expect(out.chunks.filter((c) => c.startsWith('\r\x1b[2K')).length).toBe(out.chunks.length);
  });

  it('shortens a line that would wrap, so that \\r still returns to its start', () => {
    const out = new FakeStream(true, 40);
    const r = new TtyRenderer(out, new ManualClock(), false);
    r.update(stage('debootstrap: configuring (base system) 6/24 packages (25%)'));
    const [row] = out.screen;
    expect(row!.length).toBeLessThan(40);
    expect(row).toMatch(/^… base {6}debootstrap: con.*… {2}0:00$/);
  });

  it('colours only a terminal, and never with NO_COLOR', () => {
    expect(useColor(new FakeStream(true), {})).toBe(true);
    expect(useColor(new FakeStream(true), { NO_COLOR: '1' })).toBe(false);
    expect(useColor(new FakeStream(true), { NO_COLOR: '' })).toBe(true);
    expect(useColor(new FakeStream(true), { TERM: 'dumb' })).toBe(false);
    expect(useColor(new FakeStream(false), {})).toBe(false);
    const out = new FakeStream(true, 80);
    const r = new TtyRenderer(out, new ManualClock(), true);
    r.update(stage('docker build'));
    r.finish(stage('docker build 5/5 (100%)'), false);
    expect(out.text).toContain('\x1b[32m✓\x1b[0m');
  });

  it('elsewhere, prints one line per stage when it ends, with no carriage return', () => {
    const out = new FakeStream(false);
    const clock = new ManualClock();
    const r = new PlainRenderer(out, clock);
    const s = stage('debootstrap: downloading 1 packages', 0);
    r.update(s);
    s.text = 'debootstrap: downloading 112 packages';
    r.update(s);
    clock.advance(7_000);
    r.tick();
    r.finish(s, false);
    r.print('a note');
    expect(out.text).toBe('✓ base      debootstrap: downloading 112 packages  0:07\na note\n');
    expect(out.text).not.toContain('\r');
    expect(out.text).not.toContain('\x1b');
  });
});

describe('the view flotilla up shows', () => {
  /** Plays a short first-start build, as the recipes report it, into `view`. */
  function firstStart(view: ImageBuildProgress, clock: ManualClock): void {
    const base = new BuildReporter(view.onImageProgress, 'flotilla/base:0123456789abcdef', 'base');
    base.note('building flotilla/base:0123456789abcdef');
    const rootfs = new BuildReporter(view.onImageProgress, 'flotilla/rootfs:fedcba9876543210', 'rootfs');
    rootfs.start(DEBOOTSTRAP_STAGES.downloading, { done: 1, unit: 'packages' });
    rootfs.log('I: Retrieving adduser 3.134');
    clock.advance(5_000);
    rootfs.progress(112);
    rootfs.log('I: Retrieving zlib1g 1:1.2.13');
    rootfs.start('docker import', { done: 0, total: 34_400_000, unit: 'bytes' });
    clock.advance(2_000);
    rootfs.progress(34_400_000);
    rootfs.end();
    view.onImageProgress({ image: 'flotilla/rootfs:fedcba9876543210', kind: 'rootfs', phase: 'done', message: 'imported flotilla/rootfs:fedcba9876543210' });
    base.start('docker build', { unit: 'steps' });
    base.log('Step 1/5 : ARG ROOTFS_IMAGE');
    base.progress(1, 5);
    base.end();
    view.onImageProgress({ image: 'flotilla/base:0123456789abcdef', kind: 'base', phase: 'done', message: 'built flotilla/base:0123456789abcdef in 7.0 s' });
  }

  it('names images briefly', () => {
    expect(imageLabel('flotilla/base:0123456789abcdef')).toBe('base');
    expect(imageLabel('flotilla/hello:1.0')).toBe('hello:1.0');
    expect(imageLabel('node:22-slim')).toBe('node:22-slim');
    expect(imageLabel('flotilla/pause')).toBe('pause');
  });

  it('says up front that a first start builds once and how long, shows a line per stage, and keeps every raw line in a 0600 log', async () => {
    const data = path.join(tmp, 'first');
    const out = new FakeStream(false);
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const view = new ImageBuildProgress({ out, logFile: buildLogPath(data), clock, env: {}, autoTick: false });
    view.onImageProgress({ image: 'flotilla/pause:1111111111111111', kind: 'pause', phase: 'cached', message: 'up to date' });
    firstStart(view, clock);
    view.close();
    const lines = out.text.split('\n');
    expect(lines[0]).toMatch(/^First start: building the node images once; this takes about \d.*minutes/);
    expect(lines[1]).toBe(`Full build log: ${path.join(data, 'logs', 'image-build.log')} (--verbose shows it here)`);
    expect(lines.slice(2)).toEqual([
      '  base      building flotilla/base:0123456789abcdef',
      '✓ rootfs    debootstrap: downloading 112 packages  0:05',
      '✓ rootfs    docker import 34.4 MB/34.4 MB (100%)  0:02',
      '✓ rootfs    imported flotilla/rootfs:fedcba9876543210',
      '✓ base      docker build 1/5 (20%)  0:00',
      '✓ base      built flotilla/base:0123456789abcdef in 7.0 s',
      '',
    ]);
    // The raw output is not on screen; it is in the log, with the stages.
    expect(out.text).not.toContain('I: Retrieving');
    const log = await readFile(buildLogPath(data), 'utf8');
    expect(log).toContain('[0:00] rootfs | I: Retrieving adduser 3.134');
    expect(log).toContain('[0:05] rootfs | I: Retrieving zlib1g 1:1.2.13');
    expect(log).toContain('base | Step 1/5 : ARG ROOTFS_IMAGE');
    expect(log).toContain('rootfs | debootstrap: downloading 112 packages');
    expect(statSync(buildLogPath(data)).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(buildLogPath(data))).mode & 0o777).toBe(0o700);
  });

  it('with --verbose, streams the raw lines as well', () => {
    const out = new FakeStream(true, 120);
    const clock = new ManualClock();
    const view = new ImageBuildProgress({ out, logFile: buildLogPath(path.join(tmp, 'verbose')), clock, env: {}, verbose: true, autoTick: false });
    firstStart(view, clock);
    view.close();
    expect(out.text).toContain('rootfs | I: Retrieving adduser 3.134\n');
    expect(out.text).toContain('base | Step 1/5 : ARG ROOTFS_IMAGE\n');
    expect(out.text).not.toContain('\r'); // plain lines, even on a terminal
  });

  it('on a terminal, draws the stage under way and keeps other output above it', () => {
    const out = new FakeStream(true, 120);
    const clock = new ManualClock();
    const view = new ImageBuildProgress({ out, logFile: buildLogPath(path.join(tmp, 'tty')), clock, env: { NO_COLOR: '1' }, autoTick: false });
    const node = new BuildReporter(view.onImageProgress, 'flotilla/node:0123456789abcdef', 'node');
    node.start('docker build', { unit: 'steps' });
    node.progress(3, 8);
    view.print('control plane: listening');
    clock.advance(2_000);
    view.renderer.tick();
    expect(out.screen).toEqual([
      'Rebuilding the images whose inputs changed.',
      `Full build log: ${buildLogPath(path.join(tmp, 'tty'))} (--verbose shows it here)`,
      'control plane: listening',
      '… node      docker build 3/8 (37%)  0:02',
    ]);
    view.close();
  });

  it('says nothing and writes no log when every image is cached', () => {
    const out = new FakeStream(true, 80);
    const data = path.join(tmp, 'cached');
    const view = new ImageBuildProgress({ out, logFile: buildLogPath(data), clock: new ManualClock(), env: {}, autoTick: false });
    for (const kind of ['base', 'pause', 'node', 'hello'] as const) view.onImageProgress({ image: `flotilla/${kind}:x`, kind, phase: 'cached', message: 'up to date' });
    expect(view.failed(new Error('port 6443 is already in use'))).toBe(false);
    view.close();
    expect(out.text).toBe('');
    expect(() => statSync(buildLogPath(data))).toThrow();
  });

  it('points at the log when up fails during a build, and not after the builds are done', () => {
    const out = new FakeStream(false);
    const clock = new ManualClock();
    const logFile = buildLogPath(path.join(tmp, 'failing'));
    const view = new ImageBuildProgress({ out, logFile, clock, env: {}, autoTick: false });
    firstStart(view, clock);
    expect(view.failed(new Error('cannot create node container'))).toBe(false);
    const hello = new BuildReporter(view.onImageProgress, 'flotilla/hello:1.0', 'hello');
    hello.start('docker build', { unit: 'steps' });
    hello.progress(2, 8);
    expect(view.failed(new Error('The command returned a non-zero code: 1'))).toBe(true);
    view.close();
    expect(out.text).toContain('✗ hello:1.0 docker build 2/8 (25%)  0:00\n');
    expect(out.text).toContain(`The image build failed. Full build log: ${logFile}\n`);
    expect(readFileSync(logFile, 'utf8')).toContain('failed: The command returned a non-zero code: 1');
  });
});
