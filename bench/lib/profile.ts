import fs from 'node:fs';
import path from 'node:path';
import { SourceMap } from 'node:module';
import { round } from './stats.js';

// Summarises a V8 .cpuprofile (node --cpu-prof): self time per area of the code (src-main/<dir>,
// node_modules/<package>, Node internals, GC, idle) and the functions with the most self time.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  wallSec: number;
  /** Sampled time that was not idle, seconds. */
  busySec: number;
  byArea: { area: string; sec: number; pctOfBusy: number }[];
  /**
   * Each busy sample charged to the innermost src-main (or bench) file on its stack, so that time
   * spent in Node internals, JSON and node_modules counts for the project code that called them.
   * Samples with no project frame (GC, socket/TLS callbacks from the event loop) stay by area.
   */
  byProjectFile: { file: string; sec: number; pctOfBusy: number }[];
  topFunctions: { fn: string; where: string; sec: number; pctOfBusy: number }[];
  /** Project (src-main) functions by inclusive time: samples with the function anywhere on the stack. */
  topInclusive: { fn: string; where: string; sec: number; pctOfBusy: number }[];
}

function areaOf(url: string, fn: string): string {
  if (!url) {
    if (fn === '(idle)') return '(idle)';
    if (fn === '(garbage collector)') return '(garbage collector)';
    if (fn === '(program)') return '(program: native, outside JS)';
    return fn || '(native)';
  }
  const src = url.match(/\/src-main\/([^/]+)\//);
  if (src) return `src-main/${src[1]}`;
  const srcFile = url.match(/\/src-main\/([^/]+)$/);
  if (srcFile) return `src-main/${srcFile[1]}`;
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return `node_modules/${nm[1]}`;
  if (url.startsWith('node:')) {
    const m = url.match(/^node:(?:internal\/)?([^/]+)/);
    return `node:${m?.[1] ?? url}`;
  }
  if (url.includes('/bench/')) return 'bench';
  return url;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Innermost project frame of each node (memoised).
  const projectOf = new Map<number, string>();
  const projectFile = (id: number): string => {
    const known = projectOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const m = n.callFrame.url.match(/\/((?:src-main|bench)\/.*)$/);
    let r: string;
    if (m) r = m[1]!;
    else {
      const p = parent.get(id);
      r = p === undefined ? '' : projectFile(p);
    }
    projectOf.set(id, r);
    return r;
  };
  // Inclusive time of project functions: each busy sample counts once per distinct function on its stack.
  const incl = new Map<string, { fn: string; where: string; us: number }>();
  const fnKey = (n: ProfileNode) => {
    const m = n.callFrame.url.match(/\/(src-main\/.*)$/);
    return m ? { k: `${n.callFrame.functionName}@${m[1]}`, fn: n.callFrame.functionName || '(anonymous)', where: m[1]! } : undefined;
  };
  const byFile = new Map<string, number>();
  const area = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    total += us;
    const a = areaOf(url, functionName);
    if (a === '(idle)') {
      idle += us;
      continue;
    }
    area.set(a, (area.get(a) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fk = fnKey(byId.get(cur)!);
      if (!fk || seen.has(fk.k)) continue;
      seen.add(fk.k);
      const e = incl.get(fk.k) ?? { fn: fk.fn, where: fk.where, us: 0 };
      e.us += us;
      incl.set(fk.k, e);
    }
    const pf = projectFile(id) || `(no project frame) ${a}`;
    byFile.set(pf, (byFile.get(pf) ?? 0) + us);
    // tsx's transform puts a file's code on few lines, so line numbers say little: file names only.
    void lineNumber;
    const where = url ? url.replace(/^.*\/(src-main|node_modules|bench)\//, '$1/').replace(/^file:\/\//, '') : '';
    const k = `${functionName}@${where}`;
    const f = fns.get(k) ?? { fn: functionName || '(anonymous)', where, us: 0 };
    f.us += us;
    fns.set(k, f);
  }
  const busy = total - idle;
  const pct = (us: number) => round((100 * us) / (busy || 1), 1);
  return {
    file,
    wallSec: round((prof.endTime - prof.startTime) / 1e6, 2),
    busySec: round(busy / 1e6, 2),
    byArea: [...area.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([a, us]) => ({ area: a, sec: round(us / 1e6, 2), pctOfBusy: pct(us) })),
    byProjectFile: [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([f, us]) => ({ file: f, sec: round(us / 1e6, 2), pctOfBusy: pct(us) })),
    topInclusive: [...incl.values()].sort((a, b) => b.us - a.us).slice(0, 40).map((f) => ({ fn: f.fn, where: f.where, sec: round(f.us / 1e6, 2), pctOfBusy: pct(f.us) })),
    topFunctions: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, where: f.where, sec: round(f.us / 1e6, 2), pctOfBusy: pct(f.us) })),
  };
}

export function renderProfile(s: ProfileSummary, areas = 12, fns = 15): string {
  const lines = [`CPU profile ${s.file}: ${s.busySec} s busy of ${s.wallSec} s`, '  self time by area:'];
  for (const a of s.byArea.slice(0, areas)) lines.push(`    ${String(a.pctOfBusy).padStart(5)}%  ${a.sec.toFixed(2).padStart(7)} s  ${a.area}`);
  lines.push('  time charged to the innermost project file on the stack:');
  for (const f of s.byProjectFile.slice(0, areas)) lines.push(`    ${String(f.pctOfBusy).padStart(5)}%  ${f.sec.toFixed(2).padStart(7)} s  ${f.file}`);
  lines.push('  top functions (self time):');
  for (const f of s.topFunctions.slice(0, fns)) lines.push(`    ${String(f.pctOfBusy).padStart(5)}%  ${f.sec.toFixed(2).padStart(7)} s  ${f.fn}  ${f.where}`);
  lines.push('  project functions by inclusive time:');
  for (const f of s.topInclusive.slice(0, fns)) lines.push(`    ${String(f.pctOfBusy).padStart(5)}%  ${f.sec.toFixed(2).padStart(7)} s  ${f.fn}  ${f.where}`);
  return lines.join('\n');
}

// ---- bundles (dist/cli.cjs, the kubelet bundle): positions mapped back to their sources ----

/**
 * Rewrites the call frames of a profile that point into the bundle (url ending in
 * `bundleName`) to their original files (absolute paths under `root`) and lines. Returns the
 * number of frames mapped.
 */
export function remapProfile(profile: { nodes: ProfileNode[] }, sourceMap: unknown, bundleName: string, root: string): number {
  const sm = new SourceMap(sourceMap as ConstructorParameters<typeof SourceMap>[0]);
  const distDir = path.join(root, 'dist');
  let mapped = 0;
  for (const n of profile.nodes) {
    const f = n.callFrame;
    if (!f.url.endsWith(bundleName)) continue;
    const e = sm.findEntry(f.lineNumber, f.columnNumber ?? 0) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e?.originalSource) continue;
    const src = e.originalSource.replace(/^file:\/\//, '');
    f.url = `file://${path.isAbsolute(src) ? src : path.resolve(distDir, src)}`;
    f.lineNumber = e.originalLine ?? 0;
    f.columnNumber = e.originalColumn ?? 0;
    mapped++;
  }
  return mapped;
}

export function writeRemapped(file: string, profileText: string, sourceMap: unknown, bundleName: string, root: string): { file: string; mapped: number } {
  const profile = JSON.parse(profileText) as { nodes: ProfileNode[] };
  const mapped = remapProfile(profile, sourceMap, bundleName, root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(profile));
  return { file, mapped };
}

// `tsx bench/lib/profile.ts <file.cpuprofile>` prints the summary.
if (typeof require !== 'undefined' && require.main === module) {
  const f = process.argv[2];
  if (!f) throw new Error('usage: profile.ts <file.cpuprofile>');
  process.stdout.write(`${renderProfile(summarizeProfile(f), 20, 40)}\n`);
}
