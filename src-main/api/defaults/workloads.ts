// apps/v1 defaulting (SetDefaults_Deployment / SetDefaults_ReplicaSet) plus the PodSpec defaults
// of their templates. Pod-only defaults (service account, requests from limits...) are not applied
// to templates, matching what kubectl shows for a Deployment.

import type { KubeObject } from '../types.js';
import { defaultPodSpec } from './podSpec.js';
import { ensureObj, isObj, setDefault, unset, type Obj } from './util.js';

function defaultTemplate(spec: Obj): void {
  const template = ensureObj(spec, 'template');
  defaultPodSpec(ensureObj(template, 'spec'));
}

export function defaultDeployment(d: KubeObject): void {
  const spec = ensureObj(d as Obj, 'spec');
  if (unset(spec.replicas)) spec.replicas = 1;
  const strategy = ensureObj(spec, 'strategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    if (unset(ru.maxUnavailable) && ru.maxUnavailable !== '') ru.maxUnavailable = '25%';
    if (unset(ru.maxSurge) && ru.maxSurge !== '') ru.maxSurge = '25%';
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (unset(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  defaultTemplate(spec);
}

export function defaultReplicaSet(rs: KubeObject): void {
  const spec = ensureObj(rs as Obj, 'spec');
  if (unset(spec.replicas)) spec.replicas = 1;
  if (isObj(spec.template) || spec.template === undefined) defaultTemplate(spec);
}
