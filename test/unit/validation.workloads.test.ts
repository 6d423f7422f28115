import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

function deployment(spec: Record<string, unknown> = {}, labels: Record<string, string> | null = { app: 'web' }): KubeObject {
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: labels ?? undefined }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      ...spec,
    },
  };
  applyDefaults('deployments.apps', d);
  return d;
}
const create = (d: KubeObject, key = 'deployments.apps') => lines(validateCreate(key, d));

describe('deployments', () => {
  it('accepts a defaulted deployment', () => {
    expect(create(deployment())).toEqual([]);
  });

  it('rejects negative replicas with kube text', () => {
    expect(create(deployment({ replicas: -1 }))).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  });

  it('requires a selector', () => {
    const d = deployment();
    delete d.spec.selector;
    expect(create(d)).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('rejects an empty selector', () => {
    expect(create(deployment({ selector: {} }))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
  });

  it('requires the selector to match the template labels', () => {
    expect(create(deployment({}, { app: 'x' }))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
    ]);
    expect(create(deployment({}, null))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
    ]);
  });

  it('matches matchExpressions', () => {
    const sel = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    expect(create(deployment({ selector: sel }))).toEqual([]);
    expect(create(deployment({ selector: sel }, { app: 'web', canary: 'y' }))).toHaveLength(1);
  });

  it('validates the selector itself', () => {
    const errs = create(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }));
    expect(errs).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string(nil)}}}: invalid label selector',
    ]);
  });

  it('validates the template as a pod spec under spec.template.spec', () => {
    const d = deployment();
    d.spec.template.spec.containers[0].image = '';
    d.spec.template.spec.containers.push({ name: 'web', image: 'x', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' });
    expect(create(d)).toEqual(['spec.template.spec.containers[0].image: Required value', 'spec.template.spec.containers[1].name: Duplicate value: "web"']);
  });

  it('reports template labels at spec.template.labels like kube', () => {
    expect(create(deployment({ selector: { matchLabels: { 'bad key': 'x' } } }, { 'bad key': 'x' }))).toEqual([
      expect.stringMatching(/^spec\.selector\.matchLabels: Invalid value: "bad key"/),
      expect.stringMatching(/^spec\.selector: Invalid value: v1\.LabelSelector\{.*\}: invalid label selector$/),
    ]);
    expect(create(deployment({}, { app: 'web', 'bad key': 'x' }))[0]).toMatch(/^spec\.template\.labels: Invalid value: "bad key"/);
  });

  it('requires restartPolicy Always and no activeDeadlineSeconds in the template', () => {
    const d = deployment();
    d.spec.template.spec.restartPolicy = 'OnFailure';
    d.spec.template.spec.activeDeadlineSeconds = 10;
    expect(create(d)).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    ]);
  });

  it('checks the strategy', () => {
    expect(create(deployment({ strategy: { type: 'BlueGreen' } }))).toEqual([
      'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ]);
    expect(create(deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }))).toEqual([
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]);
  });

  it('rejects maxSurge and maxUnavailable both zero', () => {
    expect(create(deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ]);
    expect(create(deployment({ strategy: { rollingUpdate: { maxSurge: '0%', maxUnavailable: '0%' } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    ]);
  });

  it('checks percentages', () => {
    expect(create(deployment({ strategy: { rollingUpdate: { maxSurge: 'ten', maxUnavailable: '150%' } } }))).toEqual([
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"ten"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]);
    expect(create(deployment({ strategy: { rollingUpdate: { maxSurge: -1, maxUnavailable: 1 } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('checks revisionHistoryLimit, minReadySeconds and progressDeadlineSeconds', () => {
    expect(create(deployment({ revisionHistoryLimit: -1 }))).toEqual(['spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0']);
    expect(create(deployment({ minReadySeconds: 30, progressDeadlineSeconds: 30 }))).toEqual([
      'spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds',
    ]);
    expect(create(deployment({ progressDeadlineSeconds: -5 }))).toEqual([
      'spec.progressDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0',
      'spec.progressDeadlineSeconds: Invalid value: -5: must be greater than minReadySeconds',
    ]);
  });

  it('keeps spec.selector immutable on update', () => {
    const old = deployment();
    const n = deployment({ selector: { matchLabels: { app: 'web', tier: 'fe' } } }, { app: 'web', tier: 'fe' });
    expect(lines(validateUpdate('deployments.apps', n, old))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
    const scaled = deployment({ replicas: 5 });
    expect(validateUpdate('deployments.apps', scaled, old)).toEqual([]);
  });
});

describe('replicasets', () => {
  function rs(spec: Record<string, unknown> = {}): KubeObject {
    const r: KubeObject = {
      metadata: { name: 'web-abc', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...spec },
    };
    applyDefaults('replicasets.apps', r);
    return r;
  }
  it('accepts a defaulted replicaset', () => {
    expect(create(rs(), 'replicasets.apps')).toEqual([]);
  });
  it('reports replicas once and selector problems with kube text', () => {
    expect(create(rs({ replicas: -2, selector: {} }), 'replicasets.apps')).toEqual([
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
  });
  it('keeps the selector immutable', () => {
    const old = rs();
    const n = rs({ selector: { matchLabels: { app: 'web2' } } });
    n.spec.template.metadata.labels = { app: 'web2' };
    expect(lines(validateUpdate('replicasets.apps', n, old))[0]).toMatch(/^spec\.selector: Invalid value: v1\.LabelSelector\{.*\}: field is immutable$/);
  });
});
