// The readable table printed after a run: one row per metric with its target (where the issue
// sets one), whether it was met, and the floor measured in the same run.

export interface Row {
  metric: string;
  measured: string;
  target?: string;
  met?: boolean;
  floor?: string;
}

export function fmtNum(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
}

export function fmtP(p50: number, p99: number): string {
  return `p50 ${fmtMs(p50)} / p99 ${fmtMs(p99)} ms`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const part of text.split('\n')) {
    let line = '';
    for (const word of part.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

export function renderTable(rows: Row[]): string {
  const head = ['metric', 'measured', 'target', 'met', 'floor (same run)'];
  const widths = [36, 30, 18, 7, 46];
  const cells = rows.map((r) => [r.metric, r.measured, r.target ?? '-', r.met === undefined ? '-' : r.met ? 'MET' : 'NOT MET', r.floor ?? '-']);
  const sep = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (c: string[]) => {
    const wrapped = c.map((t, i) => wrap(t, widths[i]!));
    const h = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let k = 0; k < h; k++) out.push(`| ${wrapped.map((w, i) => (w[k] ?? '').padEnd(widths[i]!)).join(' | ')} |`);
    return out.join('\n');
  };
  return [sep, line(head), sep, ...cells.map((c) => `${line(c)}\n${sep}`)].join('\n');
}
