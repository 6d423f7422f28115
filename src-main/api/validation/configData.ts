// ConfigMaps and Secrets (core ValidateConfigMap / ValidateSecret and their updates): valid keys,
// the 1 MiB size limit, the keys each Secret type needs, and immutability once `immutable: true`.

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isConfigMapKey, nameIsDNSSubdomain } from './names.js';
import { byteLen, deepEqual, isObj, key, obj, str } from './util.js';

const META = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };
const MaxSecretSize = 1024 * 1024;

/** Decoded size of a base64 value (Secret data and ConfigMap binaryData travel base64-encoded). */
function decodedLen(v: unknown): number {
  return Buffer.from(str(v), 'base64').length;
}

function validateKeys(data: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(obj(data))) for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(key(path, k), k, m));
  return errs;
}

export function validateConfigMapCreate(cm: KubeObject): FieldError[] {
  const errs = validateObjectMeta(cm, META);
  const data = obj(cm.data);
  const binary = obj(cm.binaryData);
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(key('data', k), k, m));
    if (k in binary) errs.push(fieldErr.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLen(str(v));
  }
  errs.push(...validateKeys(binary, 'binaryData'));
  for (const v of Object.values(binary)) total += decodedLen(v);
  // The whole object is too big, so kube reports it on the empty (root) path.
  if (total > MaxSecretSize) errs.push(fieldErr.tooLong('', '', MaxSecretSize));
  return errs;
}

/** Once immutable, a ConfigMap/Secret keeps its data (and the flag) until deleted. */
function immutability(o: KubeObject, old: KubeObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (o.immutable !== true) errs.push(fieldErr.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    // A missing map and an empty one decode to the same thing in kube.
    const norm = (v: unknown) => (isObj(v) && Object.keys(v).length === 0 ? null : (v ?? null));
    if (!deepEqual(norm(o[f]), norm(old[f]))) errs.push(fieldErr.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export function validateConfigMapUpdate(cm: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(cm, old), ...immutability(cm, old, ['data', 'binaryData']), ...validateConfigMapCreate(cm)];
}

/** Keys each built-in Secret type must carry. */
function typeRequirements(s: KubeObject): FieldError[] {
  const data = obj(s.data);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  const errs: FieldError[] = [];
  switch (str(s.type)) {
    case 'kubernetes.io/service-account-token':
      if (!str(obj(s.metadata?.annotations)['kubernetes.io/service-account.name'])) {
        errs.push(fieldErr.required(key('metadata.annotations', 'kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(fieldErr.required(key('data', k), ''));
        break;
      }
      try {
        const parsed: unknown = JSON.parse(Buffer.from(str(data[k]), 'base64').toString('utf8'));
        if (!isObj(parsed)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
      } catch (e) {
        errs.push(fieldErr.invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(fieldErr.required(key('data', 'username'), ''));
        errs.push(fieldErr.required(key('data', 'password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decodedLen(data['ssh-privatekey']) === 0) errs.push(fieldErr.required(key('data', 'ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(fieldErr.required(key('data', 'tls.crt'), ''));
      if (!has('tls.key')) errs.push(fieldErr.required(key('data', 'tls.key'), ''));
      break;
    default:
      break;
  }
  return errs;
}

export function validateSecretCreate(s: KubeObject): FieldError[] {
  const errs = validateObjectMeta(s, META);
  const data = obj(s.data);
  errs.push(...validateKeys(data, 'data'));
  let total = 0;
  for (const v of Object.values(data)) total += decodedLen(v);
  if (total > MaxSecretSize) errs.push(fieldErr.tooLong('data', '', MaxSecretSize));
  errs.push(...typeRequirements(s));
  return errs;
}

export function validateSecretUpdate(s: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(s, old);
  errs.push(...validateImmutable(str(s.type), str(old.type), 'type'));
  // stringData was already folded into data by defaulting, so data is all there is to compare.
  errs.push(...immutability(s, old, ['data']));
  errs.push(...validateSecretCreate(s));
  return errs;
}
