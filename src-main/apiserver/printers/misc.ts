// Printers for the small core and coordination resources whose rows are a name, one or two plain fields and
// an age: Namespaces, ConfigMaps, Secrets, ServiceAccounts and Leases.
import type { ConfigMap, KubeObject, Lease, Namespace, Secret } from '../../api/types.js';
import { ageColumn, column, DOC, nameColumn } from './columns.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './types.js';

const keyCount = (m: unknown): number => (m && typeof m === 'object' ? Object.keys(m).length : 0);
const age = (obj: KubeObject, now: Date): string => translateTimestampSince(obj.metadata.creationTimestamp, now);

export const namespacePrinter: Printer = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ns = obj as Namespace;
    return [ns.metadata.name ?? '', ns.status?.phase ?? '', age(ns, now)];
  },
};

export const configMapPrinter: Printer = {
  // "Data" counts data and binaryData keys together; the column type is "string" in Kubernetes too.
  columns: [nameColumn(), column('Data', 'string', DOC['ConfigMap.data']), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const cm = obj as ConfigMap;
    return [cm.metadata.name ?? '', keyCount(cm.data) + keyCount(cm.binaryData), age(cm, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', DOC['Secret.type']),
    column('Data', 'string', DOC['Secret.data']),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const s = obj as Secret;
    // Only stored `data` counts: stringData is write-only and merged into data before storage.
    return [s.metadata.name ?? '', s.type ?? '', keyCount(s.data), age(s, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [nameColumn(), column('Secrets', 'string', DOC['ServiceAccount.secrets']), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const secrets = obj.secrets;
    return [obj.metadata.name ?? '', Array.isArray(secrets) ? secrets.length : 0, age(obj, now)];
  },
};

export const leasePrinter: Printer = {
  columns: [nameColumn(), column('Holder', 'string', DOC['LeaseSpec.holderIdentity']), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const lease = obj as Lease;
    return [lease.metadata.name ?? '', lease.spec?.holderIdentity ?? '', age(lease, now)];
  },
};
