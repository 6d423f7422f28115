// Containers of a pod spec (core validateContainers / validateInitContainers and the checks they
// share): names, image, ports, env, mounts, probes, lifecycle hooks, pull policy and resources.

import { fieldErr, type FieldError } from './fieldErrors.js';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidPortName,
  isValidPortNum,
} from './names.js';
import { validateResourceRequirements } from './resources.js';
import { validateKeySelector, validateLocalDescendingPath } from './volumes.js';
import { arr, child, index, isNum, isObj, obj, str, type Obj } from './util.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const IsNegativeErrorMsg = 'must be greater than or equal to 0';

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** Field paths the downward API can convert at all (others fail with "field label not supported"). */
const CONVERTIBLE_FIELD_PATHS = new Set([
  ...ENV_FIELD_PATHS,
  'metadata.labels',
  'metadata.annotations',
  'spec.restartPolicy',
  'spec.schedulerName',
  'status.phase',
]);
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

/** A port given as a number or an IANA service name (ValidatePortNumOrName). */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => fieldErr.invalid(path, port, m));
  const n = isNum(port) ? port : 0;
  return isValidPortNum(n).map((m) => fieldErr.invalid(path, n, m));
}

function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((pp, i) => {
    const p = index(path, i);
    const port = obj(pp);
    const name = str(port.name);
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) msgs.forEach((m) => errs.push(fieldErr.invalid(child(p, 'name'), name, m)));
      else if (names.has(name)) errs.push(fieldErr.duplicate(child(p, 'name'), name));
      else names.add(name);
    }
    const cp = isNum(port.containerPort) ? port.containerPort : 0;
    if (cp === 0) errs.push(fieldErr.required(child(p, 'containerPort'), ''));
    else isValidPortNum(cp).forEach((m) => errs.push(fieldErr.invalid(child(p, 'containerPort'), cp, m)));
    if (isNum(port.hostPort) && port.hostPort !== 0) {
      isValidPortNum(port.hostPort).forEach((m) => errs.push(fieldErr.invalid(child(p, 'hostPort'), port.hostPort, m)));
    }
    const proto = str(port.protocol);
    if (!proto) errs.push(fieldErr.required(child(p, 'protocol'), ''));
    else if (!PROTOCOLS.includes(proto)) errs.push(fieldErr.notSupported(child(p, 'protocol'), proto, PROTOCOLS));
  });
  return errs;
}

function validateFieldRef(ref: Obj, path: string): FieldError[] {
  if (!str(ref.apiVersion)) return [fieldErr.required(child(path, 'apiVersion'), '')];
  const fp = str(ref.fieldPath);
  if (!fp) return [fieldErr.required(child(path, 'fieldPath'), '')];
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  if (sub) {
    const k = sub[1] === 'metadata.annotations' ? sub[2].toLowerCase() : sub[2];
    return isQualifiedName(k).map((m) => fieldErr.invalid(path, k, m));
  }
  if (!CONVERTIBLE_FIELD_PATHS.has(fp)) {
    return [fieldErr.invalid(child(path, 'fieldPath'), fp, `error converting fieldPath: field label not supported: ${fp}`)];
  }
  if (!ENV_FIELD_PATHS.includes(fp)) return [fieldErr.notSupported(child(path, 'fieldPath'), fp, ENV_FIELD_PATHS)];
  return [];
}

function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((e, i) => {
    const p = index(path, i);
    const ev = obj(e);
    const name = str(ev.name);
    if (!name) errs.push(fieldErr.required(child(p, 'name'), ''));
    else isRelaxedEnvVarName(name).forEach((m) => errs.push(fieldErr.invalid(child(p, 'name'), name, m)));
    if (!isObj(ev.valueFrom)) return;
    const vf = ev.valueFrom;
    const vp = child(p, 'valueFrom');
    let sources = 0;
    if (isObj(vf.fieldRef)) {
      sources++;
      errs.push(...validateFieldRef(vf.fieldRef, child(vp, 'fieldRef')));
    }
    if (isObj(vf.resourceFieldRef)) {
      sources++;
      const r = str(vf.resourceFieldRef.resource);
      const rp = child(vp, 'resourceFieldRef');
      if (!r) errs.push(fieldErr.required(child(rp, 'resource'), ''));
      else if (!RESOURCE_FIELD_PATHS.includes(r) && !/^(requests|limits)\.hugepages-/.test(r)) {
        errs.push(fieldErr.notSupported(child(rp, 'resource'), r, RESOURCE_FIELD_PATHS));
      }
    }
    if (isObj(vf.configMapKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef')));
    }
    if (isObj(vf.secretKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.secretKeyRef, child(vp, 'secretKeyRef')));
    }
    if (sources === 0) errs.push(fieldErr.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value)) errs.push(fieldErr.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(fieldErr.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(envFrom).forEach((e, i) => {
    const p = index(path, i);
    const ef = obj(e);
    const prefix = str(ef.prefix);
    if (prefix) isRelaxedEnvVarName(prefix).forEach((m) => errs.push(fieldErr.invalid(child(p, 'prefix'), prefix, m)));
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef']) {
      if (!isObj(ef[kind])) continue;
      sources++;
      const name = str((ef[kind] as Obj).name);
      if (!name) errs.push(fieldErr.required(child(p, kind, 'name'), ''));
    }
    // kube reports these two on the list path, not on the entry.
    if (sources === 0) errs.push(fieldErr.invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(fieldErr.invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  arr(mounts).forEach((m, i) => {
    const p = index(path, i);
    const mnt = obj(m);
    const name = str(mnt.name);
    if (!name) errs.push(fieldErr.required(child(p, 'name'), ''));
    if (!volumes.has(name)) errs.push(fieldErr.notFound(child(p, 'name'), name));
    const mountPath = str(mnt.mountPath);
    if (!mountPath) errs.push(fieldErr.required(child(p, 'mountPath'), ''));
    if (mountPoints.has(mountPath)) errs.push(fieldErr.invalid(child(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    // kube reports subPath problems on the list path (volumeMounts.subPath), not the entry.
    const subPath = str(mnt.subPath);
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, child(path, 'subPath')));
    const expr = str(mnt.subPathExpr);
    if (expr) {
      if (subPath) errs.push(fieldErr.invalid(child(p, 'subPathExpr'), expr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(expr, child(path, 'subPathExpr')));
    }
  });
  return errs;
}

/** validateHandler: exactly one of exec / httpGet / tcpSocket / grpc (probes) or sleep (hooks). */
function validateHandler(h: Obj, path: string, allowed: string[], gracePeriod: unknown): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const kind of allowed) {
    if (!isObj(h[kind])) continue;
    const p = child(path, kind);
    if (count > 0) {
      errs.push(fieldErr.forbidden(p, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const a = h[kind] as Obj;
    switch (kind) {
      case 'exec':
        if (arr(a.command).length === 0) errs.push(fieldErr.required(child(p, 'command'), ''));
        break;
      case 'httpGet': {
        if (!str(a.path)) errs.push(fieldErr.required(child(p, 'path'), ''));
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        const scheme = str(a.scheme);
        if (!HTTP_SCHEMES.includes(scheme)) errs.push(fieldErr.notSupported(child(p, 'scheme'), scheme, HTTP_SCHEMES));
        for (const hdr of arr(a.httpHeaders)) {
          const n = str(obj(hdr).name);
          isHTTPHeaderName(n).forEach((m) => errs.push(fieldErr.invalid(child(p, 'httpHeaders'), n, m)));
        }
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(a.port, child(p, 'port')));
        break;
      case 'grpc': {
        const n = isNum(a.port) ? a.port : 0;
        isValidPortNum(n).forEach((m) => errs.push(fieldErr.invalid(child(p, 'port'), n, m)));
        break;
      }
      case 'sleep': {
        const secs = isNum(a.seconds) ? a.seconds : 0;
        const grace = isNum(gracePeriod) ? gracePeriod : 0;
        if (secs <= 0 || secs > grace) {
          errs.push(fieldErr.invalid(p, secs, `must be greater than 0 and less than terminationGracePeriodSeconds (${grace})`));
        }
        break;
      }
    }
  }
  if (count === 0) errs.push(fieldErr.required(path, 'must specify a handler type'));
  return errs;
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'];

function validateProbe(kind: 'liveness' | 'readiness' | 'startup', probe: unknown, path: string, gracePeriod: unknown): FieldError[] {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, path, PROBE_HANDLERS, gracePeriod);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (isNum(probe[f]) && (probe[f] as number) < 0) errs.push(fieldErr.invalid(child(path, f), probe[f], IsNegativeErrorMsg));
  }
  if (isNum(probe.terminationGracePeriodSeconds) && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(fieldErr.invalid(child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  // Liveness and startup probes decide on a single success; readiness may ask for more.
  if (kind !== 'readiness' && probe.successThreshold !== 1) {
    const v = isNum(probe.successThreshold) ? probe.successThreshold : 0;
    errs.push(fieldErr.invalid(child(path, 'successThreshold'), v, 'must be 1'));
  }
  if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds !== null) {
    errs.push(fieldErr.invalid(child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateLifecycle(lc: Obj, path: string, gracePeriod: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) {
    if (isObj(lc[hook])) errs.push(...validateHandler(lc[hook] as Obj, child(path, hook), LIFECYCLE_HANDLERS, gracePeriod));
  }
  return errs;
}

function validateSecurityContext(sc: unknown, path: string): FieldError[] {
  if (!isObj(sc)) return [];
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const v = sc[f];
    if (isNum(v) && (v < 0 || v > 2147483647)) errs.push(fieldErr.invalid(child(path, f), v, inclusiveRangeError(0, 2147483647)));
  }
  if (sc.allowPrivilegeEscalation === false && sc.privileged === true) {
    errs.push(fieldErr.invalid(path, '', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  return errs;
}

/** validateContainerCommon: what regular, init and ephemeral containers share. */
function validateContainerCommon(c: Obj, volumes: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  const namePath = child(path, 'name');
  if (!name) errs.push(fieldErr.required(namePath, ''));
  else isDNS1123Label(name).forEach((m) => errs.push(fieldErr.invalid(namePath, name, m)));
  if (!str(c.image)) errs.push(fieldErr.required(child(path, 'image'), ''));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(fieldErr.required(child(path, 'terminationMessagePolicy'), ''));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(fieldErr.notSupported(child(path, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validateContainerPorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, child(path, 'volumeMounts')));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(fieldErr.required(child(path, 'imagePullPolicy'), ''));
  else if (!PULL_POLICIES.includes(pull)) errs.push(fieldErr.notSupported(child(path, 'imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateResourceRequirements(c.resources, child(path, 'resources')));
  errs.push(...validateSecurityContext(c.securityContext, child(path, 'securityContext')));
  return errs;
}

/** Host ports may not collide (protocol/hostIP/port) within the containers given. */
function checkHostPortConflicts(containers: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    arr(obj(c).ports).forEach((pp, pi) => {
      const port = obj(pp);
      if (!isNum(port.hostPort) || port.hostPort === 0) return;
      const k = `${str(port.protocol)}/${str(port.hostIP)}/${port.hostPort}`;
      if (seen.has(k)) errs.push(fieldErr.duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

export function validateContainers(containers: unknown, volumes: Set<string>, gracePeriod: unknown, path: string): FieldError[] {
  const list = arr(containers);
  if (list.length === 0) return [fieldErr.required(path, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list.forEach((cc, i) => {
    const p = index(path, i);
    const c = obj(cc);
    errs.push(...validateContainerCommon(c, volumes, p));
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate(child(p, 'name'), name));
    else names.add(name);
    if (isObj(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, child(p, 'lifecycle'), gracePeriod));
    errs.push(...validateProbe('liveness', c.livenessProbe, child(p, 'livenessProbe'), gracePeriod));
    errs.push(...validateProbe('readiness', c.readinessProbe, child(p, 'readinessProbe'), gracePeriod));
    errs.push(...validateProbe('startup', c.startupProbe, child(p, 'startupProbe'), gracePeriod));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) errs.push(fieldErr.forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(list, path));
  return errs;
}

export function validateInitContainers(containers: unknown, regular: unknown, volumes: Set<string>, gracePeriod: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(arr(regular).map((c) => str(obj(c).name)));
  arr(containers).forEach((cc, i) => {
    const p = index(path, i);
    const c = obj(cc);
    errs.push(...validateContainerCommon(c, volumes, p));
    let restartAlways = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      const rp = str(c.restartPolicy);
      if (rp !== 'Always') errs.push(fieldErr.notSupported(child(p, 'restartPolicy'), rp, ['Always']));
      restartAlways = rp === 'Always';
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(fieldErr.duplicate(child(p, 'name'), name));
    else if (name) names.add(name);
    // Init containers run one at a time, so host ports only need to be unique within each one.
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      // Sidecars (restartPolicy: Always) may have hooks and probes like regular containers.
      if (isObj(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, child(p, 'lifecycle'), gracePeriod));
      errs.push(...validateProbe('liveness', c.livenessProbe, child(p, 'livenessProbe'), gracePeriod));
      errs.push(...validateProbe('readiness', c.readinessProbe, child(p, 'readinessProbe'), gracePeriod));
      errs.push(...validateProbe('startup', c.startupProbe, child(p, 'startupProbe'), gracePeriod));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) errs.push(fieldErr.forbidden(child(p, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

/** validateContainerOnlyForPod: pods (not templates) reject images padded with whitespace. */
export function validateImagesOnlyForPod(containers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(containers).forEach((c, i) => {
    const image = str(obj(c).image);
    if (image.length !== image.trim().length) errs.push(fieldErr.invalid(child(index(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return errs;
}

