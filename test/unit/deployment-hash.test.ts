import { describe, it, expect } from 'vitest';
import { canonicalJSON, computeHash, equalIgnoreHash, fnv1a32, POD_TEMPLATE_HASH_LABEL, safeEncodeString, withoutHashLabel } from '../../src-main/controllers/deployment/util/hash.js';
import type { PodTemplateSpec } from '../../src-main/api/types.js';

const template = (image = 'nginx:1.25', extra: Partial<PodTemplateSpec['spec']> = {}): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always', ...extra },
});

describe('pod-template-hash', () => {
  it('uses FNV-1a 32', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it("encodes like kube's SafeEncodeString (digits become consonants and digits)", () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(safeEncodeString(String(4294967295))).toBe('86f8fbc6f9');
  });

  it('is stable, short and uses only the safe alphabet', () => {
    const h = computeHash(template());
    expect(h).toBe(computeHash(template()));
    expect(h).toMatch(/^[456789bcdf]{1,10}$/);
  });

  it('does not depend on key order', () => {
    const a: PodTemplateSpec = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'x' }] } };
    const b = JSON.parse('{"spec":{"containers":[{"image":"x","name":"c"}],"restartPolicy":"Always"},"metadata":{"labels":{"tier":"fe","app":"web"}}}');
    expect(computeHash(b)).toBe(computeHash(a));
  });

  it('treats absent, null and empty fields alike (Go semantic equality)', () => {
    const a = template();
    const b = { ...template(), metadata: { labels: { app: 'web' }, annotations: {} } } as PodTemplateSpec;
    (b.spec as Record<string, unknown>).volumes = [];
    (b.spec as Record<string, unknown>).nodeSelector = null;
    expect(computeHash(b)).toBe(computeHash(a));
    expect(equalIgnoreHash(a, b)).toBe(true);
  });

  it('changes with the template and with the collision count', () => {
    const h = computeHash(template());
    expect(computeHash(template('nginx:1.26'))).not.toBe(h);
    const restarted = template();
    restarted.metadata!.annotations = { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' };
    expect(computeHash(restarted)).not.toBe(h);
    expect(computeHash(template(), 1)).not.toBe(h);
    expect(computeHash(template(), 1)).not.toBe(computeHash(template(), 2));
    expect(computeHash(template(), 0)).not.toBe(h); // a collision count of 0 is still hashed, as in kube
  });

  it('ignores the pod-template-hash label itself', () => {
    const rsTemplate = template();
    rsTemplate.metadata!.labels = { app: 'web', [POD_TEMPLATE_HASH_LABEL]: computeHash(template()) };
    expect(computeHash(rsTemplate)).toBe(computeHash(template()));
    expect(equalIgnoreHash(rsTemplate, template())).toBe(true);
    expect(equalIgnoreHash(rsTemplate, template('nginx:1.26'))).toBe(false);
    expect(withoutHashLabel(rsTemplate)!.metadata!.labels).toEqual({ app: 'web' });
    expect(rsTemplate.metadata!.labels![POD_TEMPLATE_HASH_LABEL]).toBeDefined(); // not mutated
  });

  it('canonical JSON keeps array order and falsy scalars', () => {
    expect(canonicalJSON({ b: [2, 1], a: 0, c: false, d: '' })).toBe('{"a":0,"b":[2,1],"c":false,"d":""}');
  });
});
