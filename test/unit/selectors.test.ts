import { describe, it, expect } from 'vitest';
import { parseLabelSelector, matchesRequirements, selectorMatcher, formatRequirements, requirementsFromSelector } from '../../src-main/api/selectors/labels.js';
import { parseFieldSelector, matchesFields, selectableView, supportedFields, fieldValue } from '../../src-main/api/selectors/fields.js';
import type { KubeObject } from '../../src-main/api/types.js';

describe('label selectors', () => {
  const m = (sel: string, labels?: Record<string, string>) => matchesRequirements(parseLabelSelector(sel), labels);

  it('parses every operator kubectl can send', () => {
    expect(parseLabelSelector('a=b,c==d,e!=f,g in (x, y),h notin (z),i,!j')).toEqual([
      { key: 'a', op: 'In', values: ['b'] },
      { key: 'c', op: 'In', values: ['d'] },
      { key: 'e', op: 'NotIn', values: ['f'] },
      { key: 'g', op: 'In', values: ['x', 'y'] },
      { key: 'h', op: 'NotIn', values: ['z'] },
      { key: 'i', op: 'Exists', values: [] },
      { key: 'j', op: 'DoesNotExist', values: [] },
    ]);
    // URLSearchParams turns '+' into spaces: "app in (web)" arrives like this.
    expect(parseLabelSelector(new URLSearchParams('s=app+in+%28web%29%2Ctier%21%3Ddb').get('s')!)).toEqual([
      { key: 'app', op: 'In', values: ['web'] },
      { key: 'tier', op: 'NotIn', values: ['db'] },
    ]);
    expect(parseLabelSelector('example.com/role=x')).toEqual([{ key: 'example.com/role', op: 'In', values: ['x'] }]);
  });

  it('matches with Kubernetes semantics', () => {
    expect(m('a=b', { a: 'b' })).toBe(true);
    expect(m('a=b', { a: 'c' })).toBe(false);
    expect(m('a!=b', {})).toBe(true); // != matches objects without the key
    expect(m('a notin (x)', undefined)).toBe(true);
    expect(m('a in (x,y)', { a: 'y' })).toBe(true);
    expect(m('a', { a: '' })).toBe(true);
    expect(m('!a', { a: '' })).toBe(false);
    expect(m('a=b,c', { a: 'b' })).toBe(false);
    expect(m('', { a: 'b' })).toBe(true);
    expect(m('a=', { a: '' })).toBe(true);
  });

  it('rejects garbage with a message naming the requirement', () => {
    expect(() => parseLabelSelector('a in x')).toThrowError('unable to parse requirement: "a in x"');
    expect(() => parseLabelSelector('a==b==c')).toThrowError(/unable to parse requirement/);
  });

  it('treats selector objects like metav1: empty selects all, null selects none', () => {
    expect(selectorMatcher({})({ a: 'b' })).toBe(true);
    expect(selectorMatcher(null)({ a: 'b' })).toBe(false);
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['a', 'b'] }] };
    expect(selectorMatcher(sel)({ app: 'web', tier: 'b' })).toBe(true);
    expect(selectorMatcher(sel)({ app: 'web', tier: 'c' })).toBe(false);
    expect(formatRequirements(requirementsFromSelector(sel))).toBe('app=web,tier in (a,b)');
  });
});

describe('field selectors', () => {
  const pod: KubeObject = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };

  it('matches the fields kubectl uses, including empty values', () => {
    const ok = (s: string, key = 'pods', o = pod) => matchesFields(parseFieldSelector(s, key), key, o);
    expect(ok('spec.nodeName=n1,status.phase!=Failed,status.phase!=Succeeded')).toBe(true);
    expect(ok('metadata.name==p')).toBe(true);
    expect(ok('metadata.namespace=other')).toBe(false);
    expect(ok('spec.nodeName=')).toBe(false);
    const ev: KubeObject = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1', namespace: '' } };
    expect(ok('involvedObject.name=n1,involvedObject.namespace=,involvedObject.kind=Node', 'events', ev)).toBe(true);
  });

  it('a selectable view reads the same as the object for every supported field, and is lean', () => {
    const full: Record<string, KubeObject[]> = {
      pods: [
        { metadata: { name: 'p', namespace: 'ns', labels: { app: 'web' }, annotations: { a: 'x'.repeat(100) } }, spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 's', serviceAccountName: 'sa', hostNetwork: true, containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running', podIP: '10.0.0.1', nominatedNodeName: 'n2', conditions: [] } },
        { metadata: { name: 'q', namespace: 'ns' }, spec: { containers: [] } },
        { metadata: { name: 'r' }, spec: { nodeName: null }, status: null } as unknown as KubeObject,
      ],
      events: [
        { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u', apiVersion: 'v1', resourceVersion: '3', fieldPath: 'spec' }, reason: 'R', reportingComponent: 'rc', source: { component: 'c' }, type: 'Normal', message: 'm' },
        { metadata: { name: 'e2', namespace: 'default' } },
      ],
      nodes: [{ metadata: { name: 'n' }, spec: { unschedulable: true } }, { metadata: { name: 'n2' } }],
      namespaces: [{ metadata: { name: 'ns' }, status: { phase: 'Terminating' } }],
      secrets: [{ metadata: { name: 's', namespace: 'ns' }, type: 'Opaque', data: { k: 'dg==' } }],
      'replicasets.apps': [{ metadata: { name: 'rs', namespace: 'ns' }, spec: { replicas: 3 }, status: { replicas: 2 } }, { metadata: { name: 'rs2', namespace: 'ns' } }],
      configmaps: [{ metadata: { name: 'cm', namespace: 'ns', labels: { a: 'b' } }, data: { k: 'v' } }],
    };
    for (const [key, objs] of Object.entries(full)) {
      for (const o of objs) {
        const view = selectableView(key, o);
        for (const f of supportedFields(key)) expect([key, f, fieldValue(key, f, view)]).toEqual([key, f, fieldValue(key, f, o)]);
        expect(view.metadata.labels).toBe(o.metadata.labels);
        expect(JSON.stringify(view).length).toBeLessThanOrEqual(JSON.stringify(o).length);
      }
    }
    expect(selectableView('pods', full.pods![0]!)).not.toHaveProperty('spec.containers');
    expect(selectableView('pods', full.pods![0]!)).not.toHaveProperty('metadata.annotations');
  });

  it('rejects unsupported fields by name', () => {
    expect(() => parseFieldSelector('spec.foo=1', 'pods')).toThrowError('field label not supported: spec.foo');
    expect(() => parseFieldSelector('spec.nodeName=1', 'configmaps')).toThrowError('field label not supported: spec.nodeName');
  });
});
