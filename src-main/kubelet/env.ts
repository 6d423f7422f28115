import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from '../api/types.js';
import { isQuantity, parseQuantity } from '../api/validation/quantity.js';
import type { TokenRequestSpec } from './tokenManager.js';

// A container's environment, as kube's kubelet builds it (kubelet_pods.go
// makeEnvironmentVariables): envFrom sources, then env in declaration order with `$(VAR)`
// references expanded against what came before and the service variables, then the service
// variables (FOO_SERVICE_HOST, docker-link style FOO_PORT_80_TCP...) that were not overridden.
// Failures that kube reports as CreateContainerConfigError come back as `{ error }` with kube's
// message texts.

export interface EnvSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  /** A service account token for a projected volume (tokenManager.ts); throws when none can be had. */
  getServiceAccountToken?(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<string>;
}

export interface EnvContext {
  pod: Pod;
  podIP?: string;
  hostIP?: string;
  /** Service variables (serviceEnvVars) for this pod. */
  serviceEnv: Record<string, string>;
  /** Node allocatable, the default for resourceFieldRef limits a container does not set. */
  nodeAllocatable?: Record<string, string>;
}

export type EnvResult = { env: { name: string; value: string }[] } | { error: string };

/** kube's makeEnvVariableName: "my-svc" -> "MY_SVC". */
export function envVarName(service: string): string {
  return service.toUpperCase().replace(/-/g, '_');
}

function serviceIPSet(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The variables of one service (envvars.FromServices). */
export function serviceVars(s: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (!serviceIPSet(s) || !s.spec.ports?.length) return out;
  const prefix = envVarName(s.metadata.name!);
  const ip = s.spec.clusterIP!;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  out[`${prefix}_SERVICE_HOST`] = ip;
  out[`${prefix}_SERVICE_PORT`] = String(s.spec.ports[0]!.port);
  for (const p of s.spec.ports) if (p.name) out[`${prefix}_SERVICE_PORT_${envVarName(p.name)}`] = String(p.port);
  s.spec.ports.forEach((p, i) => {
    const proto = (p.protocol ?? 'TCP').toLowerCase();
    const url = `${proto}://${host}:${p.port}`;
    if (i === 0) out[`${prefix}_PORT`] = url;
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out[pp] = url;
    out[`${pp}_PROTO`] = proto;
    out[`${pp}_PORT`] = String(p.port);
    out[`${pp}_ADDR`] = ip;
  });
  return out;
}

/**
 * The service variables a pod gets (kubelet getServiceEnvVarMap): every service of its own
 * namespace when enableServiceLinks is on (the default), and always the `kubernetes` service of
 * the default namespace. A service of the pod's namespace wins over the master service.
 */
export function serviceEnvVars(services: Service[], pod: Pod): Record<string, string> {
  const ns = pod.metadata.namespace ?? 'default';
  const links = pod.spec.enableServiceLinks !== false;
  const chosen = new Map<string, Service>();
  for (const s of services) {
    if (!serviceIPSet(s)) continue;
    const name = s.metadata.name!;
    if (s.metadata.namespace === 'default' && name === 'kubernetes') {
      if (!chosen.has(name)) chosen.set(name, s);
    }
    if (links && s.metadata.namespace === ns) chosen.set(name, s);
  }
  const out: Record<string, string> = {};
  for (const s of [...chosen.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))) Object.assign(out, serviceVars(s));
  return out;
}

/**
 * Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): `$(NAME)` is replaced
 * when NAME is known and left as written otherwise; `$$` is an escaped `$`.
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v !== undefined ? v : `$(${name})`;
      i = close + 1;
    } else {
      out += '$' + next;
      i += 2;
    }
  }
  return out;
}

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

function labelOrAnnotation(map: Record<string, string> | undefined, path: string, field: string): string | undefined {
  const m = new RegExp(`^${field}\\['(.*)'\\]$`).exec(path) ?? new RegExp(`^${field}\\["(.*)"\\]$`).exec(path);
  return m ? (map?.[m[1]!] ?? '') : undefined;
}

/** Downward API field values (fieldpath.ExtractFieldPathAsString plus the kubelet's status fields). */
export function fieldRefValue(path: string, ctx: Pick<EnvContext, 'pod' | 'podIP' | 'hostIP'>): string | { error: string } {
  const p = ctx.pod;
  switch (path) {
    case 'metadata.name':
      return p.metadata.name ?? '';
    case 'metadata.namespace':
      return p.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return p.metadata.uid ?? '';
    case 'spec.nodeName':
      return p.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return p.spec.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP ?? '';
    case 'metadata.labels':
      return formatMap(p.metadata.labels);
    case 'metadata.annotations':
      return formatMap(p.metadata.annotations);
  }
  const l = labelOrAnnotation(p.metadata.labels, path, 'metadata\\.labels');
  if (l !== undefined) return l;
  const a = labelOrAnnotation(p.metadata.annotations, path, 'metadata\\.annotations');
  if (a !== undefined) return a;
  return { error: `unsupported fieldPath: ${path}` };
}

function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function toNumber(q: string | undefined, milli: boolean): number | undefined {
  if (q === undefined) return undefined;
  const v = parseQuantity(q);
  if (!isQuantity(v)) return undefined;
  return Number(v.m) * 10 ** (v.e + (milli ? 3 : 0));
}

/** resourceFieldRef (kube's ExtractContainerResourceValue), rounding up like kube. */
export function resourceFieldValue(ref: NonNullable<EnvVar['valueFrom']>['resourceFieldRef'], c: Container, allocatable?: Record<string, string>): string | { error: string } {
  if (!ref) return '';
  const [kind, res] = ref.resource.split('.') as [string, string];
  const list = kind === 'limits' ? c.resources?.limits : kind === 'requests' ? c.resources?.requests : undefined;
  if (!res || (kind !== 'limits' && kind !== 'requests')) return { error: `unsupported container resource : ${ref.resource}` };
  // Limits default to the node's allocatable; requests default to 0 (kube: requests default to limits).
  let raw = list?.[res];
  if (raw === undefined && kind === 'requests') raw = c.resources?.limits?.[res];
  if (raw === undefined && kind === 'limits') raw = allocatable?.[res];
  const isCPU = res === 'cpu';
  const value = toNumber(raw ?? '0', isCPU) ?? 0;
  const divisor = toNumber(ref.divisor ?? (isCPU ? '1' : '1'), isCPU) || (isCPU ? 1000 : 1);
  return String(Math.ceil(value / divisor));
}

/** Builds the environment of one container; `{ error }` is a CreateContainerConfigError. */
export async function buildEnv(c: Container, ctx: EnvContext, src: EnvSources): Promise<EnvResult> {
  const ns = ctx.pod.metadata.namespace ?? 'default';
  const ordered = new Map<string, string>();
  const set = (k: string, v: string) => {
    ordered.delete(k); // a redefinition moves to its new position, as in kube's final list
    ordered.set(k, v);
  };
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await src.getConfigMap(ns, from.configMapRef.name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        return { error: `configmap "${from.configMapRef.name}" not found` };
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) if (!k.includes('=')) set(prefix + k, v);
    } else if (from.secretRef) {
      const s = await src.getSecret(ns, from.secretRef.name);
      if (!s) {
        if (from.secretRef.optional) continue;
        return { error: `secret "${from.secretRef.name}" not found` };
      }
      for (const [k, v] of Object.entries(s.data ?? {})) if (!k.includes('=')) set(prefix + k, decodeSecret(v));
    }
  }
  const lookup = (name: string) => ordered.get(name) ?? ctx.serviceEnv[name];
  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined || e.value !== undefined) {
      set(e.name, expandVars(e.value ?? '', lookup));
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      const v = fieldRefValue(vf.fieldRef.fieldPath, ctx);
      if (typeof v !== 'string') return v;
      set(e.name, v);
    } else if (vf.resourceFieldRef) {
      const v = resourceFieldValue(vf.resourceFieldRef, c, ctx.nodeAllocatable);
      if (typeof v !== 'string') return v;
      set(e.name, v);
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await src.getConfigMap(ns, ref.name);
      if (!cm) {
        if (ref.optional) continue;
        return { error: `configmap "${ref.name}" not found` };
      }
      const v = cm.data?.[ref.key] ?? (cm.binaryData?.[ref.key] !== undefined ? decodeSecret(cm.binaryData[ref.key]!) : undefined);
      if (v === undefined) {
        if (ref.optional) continue;
        return { error: `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` };
      }
      set(e.name, v);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await src.getSecret(ns, ref.name);
      if (!s) {
        if (ref.optional) continue;
        return { error: `secret "${ref.name}" not found` };
      }
      const v = s.data?.[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        return { error: `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` };
      }
      set(e.name, decodeSecret(v));
    }
  }
  const env = [...ordered].map(([name, value]) => ({ name, value }));
  for (const [name, value] of Object.entries(ctx.serviceEnv)) if (!ordered.has(name)) env.push({ name, value });
  return { env };
}

/** command and args with `$(VAR)` expanded against the container's final environment. */
export function expandCommand(c: Container, env: { name: string; value: string }[]): { command?: string[]; args?: string[] } {
  const m = new Map(env.map((e) => [e.name, e.value]));
  const look = (n: string) => m.get(n);
  return {
    command: c.command?.map((s) => expandVars(s, look)),
    args: c.args?.map((s) => expandVars(s, look)),
  };
}
