import type { LabelSelector } from '../types.js';

// Label selectors as kubectl sends them (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) and as objects
// carry them (matchLabels + matchExpressions). Both compile to one list of requirements.

export type LabelOp = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

export class SelectorParseError extends Error {}

function splitTopLevel(s: string): string[] {
  // Commas separate requirements, except inside the parentheses of a set.
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function parseLabelSelector(text: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      reqs.push({ key: m[1]!, op: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = part.match(/^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]!] });
    } else if ((m = part.match(/^!\s*([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: 'DoesNotExist', values: [] });
    } else if ((m = part.match(/^([^\s!=()]+)$/))) {
      reqs.push({ key: m[1]!, op: 'Exists', values: [] });
    } else {
      throw new SelectorParseError(`unable to parse requirement: ${JSON.stringify(part)}`);
    }
  }
  return reqs;
}

export function requirementsFromSelector(sel: LabelSelector | undefined | null): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  if (!sel) return reqs;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, op: 'In', values: [v] });
  for (const e of sel.matchExpressions ?? []) reqs.push({ key: e.key, op: e.operator, values: e.values ?? [] });
  return reqs;
}

export function matchesRequirements(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.op) {
      case 'In':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function labelMatcher(reqs: LabelRequirement[]): LabelMatcher {
  return (labels) => matchesRequirements(reqs, labels);
}

/** A selector object matches everything when empty and nothing when null (as in metav1). */
export function selectorMatcher(sel: LabelSelector | undefined | null): LabelMatcher {
  if (sel === null || sel === undefined) return () => false;
  return labelMatcher(requirementsFromSelector(sel));
}

/** metav1.FormatLabelSelector-like text: "app=web,tier in (a,b)". */
export function formatRequirements(reqs: LabelRequirement[]): string {
  return reqs
    .map((r) => {
      switch (r.op) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${[...r.values].sort().join(',')})`;
        case 'NotIn':
          return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${[...r.values].sort().join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}
