import type { FuzzCase } from './common.js';
import type { Violation } from './oracle.js';
import type { RawResponse } from './rawHttp.js';

// Keeps what a fuzz run saw: a status histogram per category, and every violation grouped by a
// signature (property, status, method, the shape of the target), with the smallest reproductions
// of each group, printed at the end in a form one can paste into an issue.

export interface Failure {
  signature: string;
  count: number;
  examples: { size: number; text: string }[];
}

const MAX_EXAMPLES = 3;

/** The target with its variable parts generalised, so that one defect is one group. */
function shape(target: string): string {
  const [path = '', query] = target.split('?');
  const p = path
    .replace(/\/fz-[a-z-]*\d/g, '/<name>')
    .replace(/x{50,}|y{50,}/g, '<long>')
    .split('/')
    .slice(0, 7)
    .join('/');
  return query ? `${p}?…` : p;
}

export class Recorder {
  readonly histogram = new Map<string, Map<number, number>>();
  readonly failures = new Map<string, Failure>();
  requests = 0;
  readyProbes = 0;

  constructor(private readonly secrets: Record<string, string>) {}

  redact(s: string): string {
    let out = s;
    for (const [name, value] of Object.entries(this.secrets)) if (value) out = out.split(value).join(`$${name}`);
    return out;
  }

  count(category: string, status: number): void {
    this.requests++;
    let h = this.histogram.get(category);
    if (!h) this.histogram.set(category, (h = new Map()));
    h.set(status, (h.get(status) ?? 0) + 1);
  }

  /** A reproduction: what was sent and what came back. */
  describe(c: FuzzCase, r: RawResponse | undefined, v: Violation): string {
    const lines: string[] = [];
    lines.push(`  property: ${v.property}: ${v.detail}`);
    if (c.setup) lines.push(`  first:    ${c.setup.method} ${c.setup.target} (a valid object to act on)`);
    if (c.request.raw) {
      lines.push(`  raw bytes: ${this.redact(JSON.stringify(c.request.raw.toString('latin1').slice(0, 1200)))}${c.request.raw.length > 1200 ? ` ... (${c.request.raw.length} bytes)` : ''}`);
      if (c.request.endAfterWrite) lines.push('  then the client half-closes the connection');
    } else {
      const target = c.request.target.length > 400 ? `${c.request.target.slice(0, 400)}... (${c.request.target.length} chars)` : c.request.target;
      lines.push(`  request:  ${c.request.method} ${this.redact(target)}`);
      if (c.request.headers.length) lines.push(`  headers:  ${this.redact(c.request.headers.map(([k, x]) => `${k}: ${x.length > 100 ? `${x.slice(0, 100)}...(${x.length} chars)` : x}`).join(' | '))}`);
      lines.push(`  body:     ${this.redact(c.bodyDesc ?? '(none)')}${c.request.body ? ` [${c.request.body.length} bytes]` : ''}`);
    }
    if (c.notes.length) lines.push(`  made by:  ${this.redact(c.notes.join('; '))}`);
    if (r) {
      const ct = (r.headers['content-type'] ?? []).join(', ');
      lines.push(`  answer:   ${r.status ? `HTTP ${r.status}` : 'no status line'} (${r.outcome}${r.error ? ` ${r.error}` : ''}, ${Math.round(r.totalMs)} ms)${ct ? ` ${ct}` : ''} ${JSON.stringify(r.body.toString('utf8').slice(0, 300))}`);
    }
    return lines.join('\n');
  }

  fail(c: FuzzCase, r: RawResponse | undefined, v: Violation): void {
    const method = c.request.raw ? 'RAW' : c.request.method;
    const sig = `${v.property} | ${r?.status ?? '-'} | ${c.category} | ${method} ${shape(c.request.target)} | ${v.detail.replace(/\d+/g, 'N').slice(0, 80)}`;
    let f = this.failures.get(sig);
    if (!f) this.failures.set(sig, (f = { signature: sig, count: 0, examples: [] }));
    f.count++;
    const size = (c.request.raw?.length ?? 0) + (c.request.body?.length ?? 0) + c.request.target.length;
    const text = this.describe(c, r, v);
    if (f.examples.length < MAX_EXAMPLES) f.examples.push({ size, text });
    else {
      // Keep the smallest reproductions.
      const worst = f.examples.reduce((a, b) => (b.size > a.size ? b : a));
      if (size < worst.size) f.examples[f.examples.indexOf(worst)] = { size, text };
    }
    // Printed as found too, so a run that dies still says what it saw.
    if (f.count === 1) console.log(`FUZZ FAILURE ${sig}\n${text}`);
  }

  histogramText(): string {
    const lines: string[] = [];
    const total = new Map<number, number>();
    for (const [cat, h] of this.histogram) {
      lines.push(`  ${cat.padEnd(8)} ${[...h.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s || 'none'}:${n}`).join(' ')}`);
      for (const [s, n] of h) total.set(s, (total.get(s) ?? 0) + n);
    }
    lines.push(`  ${'all'.padEnd(8)} ${[...total.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s || 'none'}:${n}`).join(' ')}`);
    return lines.join('\n');
  }

  report(title: string, extra: string[] = []): string {
    const out = [`${title}`, ...extra, `requests: ${this.requests} (+ ${this.readyProbes} readiness probes)`, 'status histogram (status:count; none = closed without a status line):', this.histogramText()];
    if (!this.failures.size) out.push('failures: none');
    else {
      out.push(`failures: ${this.failures.size} distinct (${[...this.failures.values()].reduce((n, f) => n + f.count, 0)} cases)`);
      for (const f of [...this.failures.values()].sort((a, b) => b.count - a.count)) {
        out.push(`- ${f.signature} (x${f.count})`);
        for (const e of [...f.examples].sort((a, b) => a.size - b.size)) out.push(e.text);
      }
    }
    return out.join('\n');
  }
}
