// Pod volumes (core ValidateVolumes): unique DNS-label names and exactly one source each. Only the
// sources Flotilla can actually provide get their fields checked in depth; the others are accepted
// as long as they are the only source, as kube would for a volume plugin it does not know well.

import { fieldErr, type FieldError } from './fieldErrors.js';
import { isConfigMapKey, isDNS1123Label, nameIsDNSSubdomain } from './names.js';
import { isQuantity, parseQuantity, quantitySign } from './quantity.js';
import { arr, child, index, isNum, isObj, obj, str } from './util.js';

const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
];

const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';

/** validatePathNoBacksteps: no ".." path element. */
export function validatePathNoBacksteps(p: string, path: string): FieldError[] {
  return p.split('/').includes('..') ? [fieldErr.invalid(path, p, "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative and without "..". */
export function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (p.startsWith('/')) errs.push(fieldErr.invalid(path, p, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(p, path));
  return errs;
}

function validateMode(mode: unknown, path: string): FieldError[] {
  return isNum(mode) && (mode > 0o777 || mode < 0) ? [fieldErr.invalid(path, mode, fileModeErrorMsg)] : [];
}

/** KeyToPath items of secret/configMap volumes. */
function validateItems(items: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(items).forEach((it, i) => {
    const p = index(path, i);
    const item = obj(it);
    const k = str(item.key);
    if (!k) errs.push(fieldErr.required(child(p, 'key'), ''));
    const target = str(item.path);
    if (!target) errs.push(fieldErr.required(child(p, 'path'), ''));
    else {
      errs.push(...validateLocalDescendingPath(target, child(p, 'path')));
      // validateLocalNonReservedPath: "..data" prefixed names collide with the atomic writer.
      if (target.startsWith('..') && !target.startsWith('../')) errs.push(fieldErr.invalid(child(p, 'path'), target, "must not start with '..'"));
    }
    errs.push(...validateMode(item.mode, child(p, 'mode')));
  });
  return errs;
}

function validateSourceFields(kind: string, src: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'emptyDir': {
      if (src.sizeLimit !== undefined) {
        const q = parseQuantity(src.sizeLimit);
        if (!isQuantity(q)) errs.push(fieldErr.invalid(child(path, 'sizeLimit'), String(src.sizeLimit), q.error));
        else if (quantitySign(q) < 0) errs.push(fieldErr.forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
      break;
    }
    case 'hostPath': {
      const p = str(src.path);
      if (!p) {
        errs.push(fieldErr.required(child(path, 'path'), ''));
        break;
      }
      errs.push(...validatePathNoBacksteps(p, child(path, 'path')));
      const t = src.type === undefined || src.type === null ? '' : str(src.type);
      if (!HOST_PATH_TYPES.includes(t)) errs.push(fieldErr.notSupported(child(path, 'type'), t, HOST_PATH_TYPES));
      break;
    }
    case 'secret': {
      const name = str(src.secretName);
      if (!name) errs.push(fieldErr.required(child(path, 'secretName'), ''));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateItems(src.items, child(path, 'items')));
      break;
    }
    case 'configMap': {
      const name = str(src.name);
      if (!name) errs.push(fieldErr.required(child(path, 'name'), ''));
      else for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldErr.invalid(child(path, 'name'), name, m));
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      errs.push(...validateItems(src.items, child(path, 'items')));
      break;
    }
    case 'persistentVolumeClaim':
      if (!str(src.claimName)) errs.push(fieldErr.required(child(path, 'claimName'), ''));
      break;
    case 'projected':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(path, 'defaultMode')));
      break;
    default:
      break;
  }
  return errs;
}

/** ValidateVolumes: returns the names of the valid volumes (for volumeMount lookups) and the errors. */
export function validateVolumes(volumes: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  arr(volumes).forEach((v, i) => {
    const p = index(path, i);
    const vol = obj(v);
    const name = str(vol.name);
    const el: FieldError[] = [];
    let count = 0;
    for (const kind of VOLUME_SOURCES) {
      if (!isObj(vol[kind])) continue;
      if (count > 0) {
        el.push(fieldErr.forbidden(child(p, kind), 'may not specify more than 1 volume type'));
        continue;
      }
      count++;
      el.push(...validateSourceFields(kind, vol[kind] as Record<string, unknown>, child(p, kind)));
    }
    if (count === 0) el.push(fieldErr.required(p, 'must specify a volume type'));
    const namePath = child(p, 'name');
    if (!name) el.push(fieldErr.required(namePath, ''));
    else el.push(...isDNS1123Label(name).map((m) => fieldErr.invalid(namePath, name, m)));
    if (names.has(name)) el.push(fieldErr.duplicate(namePath, name));
    // As in kube, only volumes without errors can be mounted (so a broken one also yields "Not found").
    if (el.length === 0) names.add(name);
    else errs.push(...el);
  });
  return { names, errs };
}

/** Secret/ConfigMap key selectors used by env and volumes. */
export function validateKeySelector(sel: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sel.name);
  for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldErr.invalid(child(path, 'name'), name, m));
  const k = str(sel.key);
  if (!k) errs.push(fieldErr.required(child(path, 'key'), ''));
  else for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(child(path, 'key'), k, m));
  return errs;
}
