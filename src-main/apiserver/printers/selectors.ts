// String forms of label maps and label selectors, as the Kubernetes printers show them.
// Follows k8s.io/apimachinery v1.32: labels.FormatLabels, metav1.LabelSelectorAsSelector(...).String() and
// metav1.FormatLabelSelector. Selectors are validated the way labels.NewRequirement does, because an invalid
// selector prints as "<error>" / "<invalid>" on a real cluster rather than as its raw text.
import type { LabelSelector } from '../../api/types.js';

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** validation.IsQualifiedName: an optional DNS subdomain prefix, "/", then a name of at most 63 chars. */
function isQualifiedName(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME.test(name);
}

function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** labels.FormatLabels: sorted "k=v" pairs joined by ",", or "<none>" for an empty map. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  pairs.sort(compareStrings);
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}

type Op = 'Equals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
interface Requirement {
  key: string;
  op: Op;
  values: string[];
}

function requirementString(r: Requirement): string {
  switch (r.op) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Equals':
      return `${r.key}=${r.values[0]}`;
    case 'In':
    case 'NotIn': {
      // Values are shown sorted so that equal selectors always print the same way.
      const values = [...r.values].sort(compareStrings).join(',');
      return `${r.key} ${r.op === 'In' ? 'in' : 'notin'} (${values})`;
    }
  }
}

/** Mirrors labels.NewRequirement's checks; returns false when the requirement would be rejected. */
function validRequirement(r: Requirement): boolean {
  if (!isQualifiedName(r.key)) return false;
  if ((r.op === 'In' || r.op === 'NotIn') && r.values.length === 0) return false;
  if (r.op === 'Equals' && r.values.length !== 1) return false;
  if ((r.op === 'Exists' || r.op === 'DoesNotExist') && r.values.length !== 0) return false;
  return r.values.every(isValidLabelValue);
}

const OPERATORS: Record<string, Op> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };

/**
 * metav1.LabelSelectorAsSelector(sel).String(): "" for a nil or empty selector, otherwise the requirements
 * sorted by key and joined by ",". Returns null when the selector is invalid (the Go function errors).
 */
export function labelSelectorString(sel: LabelSelector | undefined | null): string | null {
  if (!sel) return '';
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push({ key, op: 'Equals', values: [String(value)] });
  }
  for (const expr of sel.matchExpressions ?? []) {
    const op = OPERATORS[expr?.operator as string];
    if (!op) return null;
    reqs.push({ key: String(expr.key ?? ''), op, values: (expr.values ?? []).map(String) });
  }
  if (!reqs.every(validRequirement)) return null;
  // Array.prototype.sort is stable, so a key used both in matchLabels and matchExpressions keeps that order.
  reqs.sort((a, b) => compareStrings(a.key, b.key));
  return reqs.map(requirementString).join(',');
}

/** metav1.FormatLabelSelector: like labelSelectorString but "<none>" when empty and "<error>" when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = labelSelectorString(sel);
  if (s === null) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Go's sort.Strings order (byte-wise); identical to code-unit order for the ASCII that labels allow. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
