// PodSpec validation (core ValidatePodSpec), shared by Pods and by the templates of Deployments
// and ReplicaSets, plus pod-template and pod-create specifics.

import { fieldErr, type FieldError } from './fieldErrors.js';
import { validateContainers, validateImagesOnlyForPod, validateInitContainers } from './container.js';
import { validateIP } from './ip.js';
import { validateAnnotations, validateLabelName, validateLabels } from './meta.js';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain } from './names.js';
import { validateVolumes } from './volumes.js';
import { arr, child, index, isNum, isObj, obj, str, type Obj } from './util.js';
import { rendered } from './fieldErrors.js';
import { goStrings } from './goRender.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_SELECTOR_OPS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);
const MAX_INT32 = 2147483647;

export interface PodSpecOptions {
  /** True for a Pod itself, false for a template (host ports under hostNetwork are checked strictly only for pods). */
  resourceIsPod: boolean;
}

/** ValidateTolerations. */
export function validateTolerations(tolerations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((t, i) => {
    const p = index(path, i);
    const tol = obj(t);
    const k = str(tol.key);
    const op = str(tol.operator);
    const effect = str(tol.effect);
    if (k) errs.push(...validateLabelName(k, child(p, 'key')));
    // An empty key with Exists matches every taint; with any other operator it is meaningless.
    if (!k && op !== 'Exists') {
      errs.push(fieldErr.invalid(child(p, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null && effect !== 'NoExecute') {
      errs.push(fieldErr.invalid(child(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(str(tol.value));
      if (msgs.length) errs.push(fieldErr.invalid(child(p, 'operator'), str(tol.value), msgs.join(';')));
    } else if (op === 'Exists') {
      if (str(tol.value)) errs.push(fieldErr.invalid(child(p, 'operator'), rendered('core.Toleration{...}'), "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(fieldErr.notSupported(child(p, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(fieldErr.notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeSelectorTerm(term: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(term.matchExpressions).forEach((r, j) => {
    const p = index(child(path, 'matchExpressions'), j);
    const req = obj(r);
    const op = str(req.operator);
    const values = arr(req.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(fieldErr.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(fieldErr.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else if (op === 'Gt' || op === 'Lt') {
      if (values.length !== 1) errs.push(fieldErr.required(child(p, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
    }
    if (!NODE_SELECTOR_OPS.has(op)) errs.push(fieldErr.invalid(child(p, 'operator'), op, 'not a valid selector operator'));
    errs.push(...validateLabelName(str(req.key), child(p, 'key')));
  });
  return errs;
}

function validateAffinity(affinity: unknown, path: string): FieldError[] {
  if (!isObj(affinity) || !isObj(affinity.nodeAffinity)) return [];
  const na = affinity.nodeAffinity;
  const p = child(path, 'nodeAffinity');
  const errs: FieldError[] = [];
  if (isObj(na.requiredDuringSchedulingIgnoredDuringExecution)) {
    const tp = child(p, 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms');
    const terms = arr(na.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms);
    if (terms.length === 0) errs.push(fieldErr.required(tp, 'must have at least one node selector term'));
    terms.forEach((t, i) => errs.push(...validateNodeSelectorTerm(obj(t), index(tp, i))));
  }
  arr(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
    const tp = index(child(p, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
    const term = obj(t);
    const w = isNum(term.weight) ? term.weight : 0;
    if (w <= 0 || w > 100) errs.push(fieldErr.invalid(child(tp, 'weight'), w, 'must be in the range 1-100'));
    errs.push(...validateNodeSelectorTerm(obj(term.preference), child(tp, 'preference')));
  });
  return errs;
}

function validateDNSConfig(dnsConfig: unknown, dnsPolicy: string, path: string): FieldError[] {
  if (dnsPolicy === 'None') {
    if (!isObj(dnsConfig)) return [fieldErr.required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (arr(dnsConfig.nameservers).length === 0) return [fieldErr.required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObj(dnsConfig)) return [];
  const errs: FieldError[] = [];
  const ns = arr(dnsConfig.nameservers).map(str);
  if (ns.length > 3) errs.push(fieldErr.invalid(child(path, 'nameservers'), rendered(goStrings(ns)), 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => errs.push(...validateIP(index(child(path, 'nameservers'), i), n)));
  const searches = arr(dnsConfig.searches).map(str);
  if (searches.length > 32) errs.push(fieldErr.invalid(child(path, 'searches'), rendered(goStrings(searches)), 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(fieldErr.invalid(child(path, 'searches'), rendered(goStrings(searches)), 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    const trimmed = s.endsWith('.') ? s.slice(0, -1) : s;
    isDNS1123Subdomain(trimmed).forEach((m) => errs.push(fieldErr.invalid(index(child(path, 'searches'), i), trimmed, m)));
  });
  arr(dnsConfig.options).forEach((o, i) => {
    if (!str(obj(o).name)) errs.push(fieldErr.required(index(child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}

function validatePodSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!isObj(sc)) return [];
  const errs: FieldError[] = [];
  for (const f of ['fsGroup', 'runAsUser', 'runAsGroup']) {
    const v = sc[f];
    if (isNum(v) && (v < 0 || v > MAX_INT32)) errs.push(fieldErr.invalid(child(path, f), v, inclusiveRangeError(0, MAX_INT32)));
  }
  arr(sc.supplementalGroups).forEach((g, i) => {
    if (isNum(g) && (g < 0 || g > MAX_INT32)) errs.push(fieldErr.invalid(index(child(path, 'supplementalGroups'), i), g, inclusiveRangeError(0, MAX_INT32)));
  });
  return errs;
}

/** With hostNetwork a pod's host ports are its container ports (templates may leave them 0). */
function validateHostNetworkDeps(spec: Obj, path: string, opts: PodSpecOptions): FieldError[] {
  if (spec.hostNetwork !== true) return [];
  const errs: FieldError[] = [];
  arr(spec.containers).forEach((c, i) => {
    arr(obj(c).ports).forEach((pp, j) => {
      const port = obj(pp);
      const hp = isNum(port.hostPort) ? port.hostPort : 0;
      const cp = isNum(port.containerPort) ? port.containerPort : 0;
      if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
        errs.push(fieldErr.invalid(child(index(child(index(child(path, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

/** ValidatePodSpec. */
export function validatePodSpec(specIn: unknown, path: string, opts: PodSpecOptions): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  const grace = spec.terminationGracePeriodSeconds;
  if (grace === undefined || grace === null) errs.push(fieldErr.required(child(path, 'terminationGracePeriodSeconds'), ''));
  const vols = validateVolumes(spec.volumes, child(path, 'volumes'));
  errs.push(...vols.errs);
  errs.push(...validateContainers(spec.containers, vols.names, grace, child(path, 'containers')));
  errs.push(...validateInitContainers(spec.initContainers, spec.containers, vols.names, grace, child(path, 'initContainers')));
  errs.push(...validateHostNetworkDeps(spec, path, opts));
  const rp = str(spec.restartPolicy);
  if (!rp) errs.push(fieldErr.required(child(path, 'restartPolicy'), ''));
  else if (!RESTART_POLICIES.includes(rp)) errs.push(fieldErr.notSupported(child(path, 'restartPolicy'), rp, RESTART_POLICIES));
  const dns = str(spec.dnsPolicy);
  if (!dns) errs.push(fieldErr.required(child(path, 'dnsPolicy'), ''));
  else if (!DNS_POLICIES.includes(dns)) errs.push(fieldErr.notSupported(child(path, 'dnsPolicy'), dns, DNS_POLICIES));
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, child(path, 'securityContext')));
  arr(spec.imagePullSecrets).forEach((s, i) => {
    const ref = obj(s);
    if (Object.keys(ref).some((k) => k !== 'name')) errs.push(fieldErr.invalid(index(child(path, 'imagePullSecrets'), i), rendered('core.LocalObjectReference{...}'), 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, dns, child(path, 'dnsConfig')));
  arr(spec.readinessGates).forEach((g, i) => {
    const t = str(obj(g).conditionType);
    isQualifiedName(t).forEach((m) => errs.push(fieldErr.invalid(child(index(child(path, 'readinessGates'), i), 'conditionType'), t, m)));
  });
  const sa = str(spec.serviceAccountName);
  if (sa) nameIsDNSSubdomain(sa, false).forEach((m) => errs.push(fieldErr.invalid(child(path, 'serviceAccountName'), sa, m)));
  const node = str(spec.nodeName);
  if (node) nameIsDNSSubdomain(node, false).forEach((m) => errs.push(fieldErr.invalid(child(path, 'nodeName'), node, m)));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = isNum(spec.activeDeadlineSeconds) ? spec.activeDeadlineSeconds : 0;
    if (v < 1 || v > MAX_INT32) errs.push(fieldErr.invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, MAX_INT32)));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]);
    if (v) isDNS1123Label(v).forEach((m) => errs.push(fieldErr.invalid(child(path, f), v, m)));
  }
  if (arr(spec.tolerations).length) errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  arr(spec.hostAliases).forEach((h, i) => {
    const p = index(child(path, 'hostAliases'), i);
    const alias = obj(h);
    errs.push(...validateIP(child(p, 'ip'), str(alias.ip)));
    arr(alias.hostnames).forEach((n, j) => isDNS1123Subdomain(str(n)).forEach((m) => errs.push(fieldErr.invalid(index(child(p, 'hostnames'), j), str(n), m))));
  });
  const pc = str(spec.priorityClassName);
  if (pc) nameIsDNSSubdomain(pc, false).forEach((m) => errs.push(fieldErr.invalid(child(path, 'priorityClassName'), pc, m)));
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null) {
    const pp = str(spec.preemptionPolicy);
    if (!pp) errs.push(fieldErr.required(child(path, 'preemptionPolicy'), ''));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(fieldErr.notSupported(child(path, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}

/** ValidatePodTemplateSpec: labels/annotations of the template (at template.labels, as kube reports) and its spec. */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  const t = obj(template);
  const meta = obj(t.metadata);
  const errs: FieldError[] = [];
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), { resourceIsPod: false }));
  if (arr(obj(t.spec).ephemeralContainers).length) {
    errs.push(fieldErr.forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** validatePodMetadataAndSpec minus the metadata part: the spec plus pod-only checks. */
export function validatePodSpecForPod(spec: unknown): FieldError[] {
  const s = obj(spec);
  const errs = validatePodSpec(s, 'spec', { resourceIsPod: true });
  if (!str(s.serviceAccountName)) {
    arr(s.volumes).forEach((v, vi) => {
      arr(obj(obj(v).projected).sources).forEach((src, si) => {
        if (isObj(obj(src).serviceAccountToken)) {
          errs.push(fieldErr.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  errs.push(...validateImagesOnlyForPod(s.containers, 'spec.containers'));
  errs.push(...validateImagesOnlyForPod(s.initContainers, 'spec.initContainers'));
  return errs;
}
