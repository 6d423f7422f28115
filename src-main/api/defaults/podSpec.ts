// PodSpec defaulting shared by Pods and pod templates (core/v1 SetDefaults_PodSpec and the
// defaulters generated for everything a PodSpec contains: containers, ports, probes, handlers,
// volumes, env field refs and resource quantities).

import { canonicalQuantity } from '../validation/quantity.js';
import { defaultPullPolicy } from './image.js';
import { ensureObj, isObj, objects, setDefault, unset, type Obj } from './util.js';

/** Mode 0644, the default file mode of secret/configMap/downwardAPI/projected volumes. */
const DEFAULT_MODE = 0o644;

const zero = (v: unknown) => v === undefined || v === null || v === 0;

function defaultHTTPGet(action: unknown): void {
  if (!isObj(action)) return;
  setDefault(action, 'path', '/');
  setDefault(action, 'scheme', 'HTTP');
}

/** SetDefaults_Probe plus its HTTPGetAction. */
function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  if (zero(probe.timeoutSeconds)) probe.timeoutSeconds = 1;
  if (zero(probe.periodSeconds)) probe.periodSeconds = 10;
  if (zero(probe.successThreshold)) probe.successThreshold = 1;
  if (zero(probe.failureThreshold)) probe.failureThreshold = 3;
  defaultHTTPGet(probe.httpGet);
}

/** Quantities are stored in canonical form, rounded up to milli precision (SetDefaults_ResourceList). */
function canonicalResourceList(list: unknown): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) list[k] = canonicalQuantity(v, true);
}

function defaultFieldRef(ref: unknown): void {
  if (isObj(ref)) setDefault(ref, 'apiVersion', 'v1');
}

/** SetDefaults_Container and the defaulters of its parts. */
export function defaultContainer(c: Obj): void {
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const p of objects(c.ports)) setDefault(p, 'protocol', 'TCP');
  for (const e of objects(c.env)) if (isObj(e.valueFrom)) defaultFieldRef(e.valueFrom.fieldRef);
  // ResourceRequirements is a struct in Go, so kube always shows `resources: {}`.
  const res = ensureObj(c, 'resources');
  canonicalResourceList(res.limits);
  canonicalResourceList(res.requests);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isObj(c.lifecycle)) {
    for (const hook of ['postStart', 'preStop']) if (isObj(c.lifecycle[hook])) defaultHTTPGet((c.lifecycle[hook] as Obj).httpGet);
  }
}

const VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs', 'flocker',
  'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flexVolume', 'configMap', 'azureFile',
  'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'projected', 'scaleIO', 'csi', 'ephemeral', 'image',
];

/** SetDefaults_Volume and the per-source defaulters. */
function defaultVolume(v: Obj): void {
  // A volume with no source at all becomes an emptyDir.
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  if (isObj(v.secret)) setDefault(v.secret, 'defaultMode', DEFAULT_MODE);
  if (isObj(v.configMap)) setDefault(v.configMap, 'defaultMode', DEFAULT_MODE);
  if (isObj(v.downwardAPI)) {
    setDefault(v.downwardAPI, 'defaultMode', DEFAULT_MODE);
    for (const item of objects(v.downwardAPI.items)) defaultFieldRef(item.fieldRef);
  }
  if (isObj(v.projected)) {
    setDefault(v.projected, 'defaultMode', DEFAULT_MODE);
    for (const src of objects(v.projected.sources)) {
      if (isObj(src.serviceAccountToken)) setDefault(src.serviceAccountToken, 'expirationSeconds', 3600);
      if (isObj(src.downwardAPI)) for (const item of objects(src.downwardAPI.items)) defaultFieldRef(item.fieldRef);
    }
  }
  if (isObj(v.hostPath) && v.hostPath.type === undefined) v.hostPath.type = '';
}

/** SetDefaults_PodSpec plus everything nested in it. Applies to Pods and to templates alike. */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (unset(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers), ...objects(spec.ephemeralContainers)]) defaultContainer(c);
  for (const v of objects(spec.volumes)) defaultVolume(v);
}
