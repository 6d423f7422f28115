import type { PodTemplateSpec } from '../../../api/types.js';

// The pod-template-hash: a short, stable name for a pod template (kube's ComputeHash). It names a
// Deployment's ReplicaSets (`web-5d4f7b9c8`) and labels their pods so that two ReplicaSets of one
// Deployment never select each other's pods. FNV-1a (32 bit) over the template's canonical JSON,
// then the collision count (bumped when a different template hashes to an existing name), then
// kube's "safe encoding" of the decimal value: digits mapped to consonants and digits that never
// spell words.

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** kube's rand.SafeEncodeString: every byte of `s` mapped into a vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvUpdate(h: number, bytes: Uint8Array): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

export function fnv1a32(data: string | Uint8Array, seed = FNV_OFFSET): number {
  return fnvUpdate(seed >>> 0, typeof data === 'string' ? new TextEncoder().encode(data) : data);
}

/**
 * JSON with object keys sorted and empty values (undefined, null, {}, []) dropped from objects, so
 * two templates that mean the same thing (Go's semantic equality treats nil and empty alike)
 * serialize identically whatever order their fields arrived in.
 */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'null';
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v) ?? null);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = canonical((value as Record<string, unknown>)[k]);
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) continue;
    out[k] = v;
  }
  return out;
}

/** The hash of a Deployment's pod template; a collisionCount, when set, salts it. */
export function computeHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv1a32(canonicalJSON(withoutHashLabel(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnvUpdate(h, b);
  }
  return safeEncodeString(String(h));
}

/** A copy of the template without the pod-template-hash label (ReplicaSet templates carry it, Deployment templates do not). */
export function withoutHashLabel(template: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (!template) return template;
  const labels = template.metadata?.labels;
  if (!labels || !(POD_TEMPLATE_HASH_LABEL in labels)) return template;
  const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...rest } = labels;
  return { ...template, metadata: { ...template.metadata, labels: rest } };
}

/** kube's EqualIgnoreHash: the same template, whatever pod-template-hash label either carries. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJSON(withoutHashLabel(a)) === canonicalJSON(withoutHashLabel(b));
}
