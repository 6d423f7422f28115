// Secret defaulting: type Opaque, and stringData — a write-only convenience — folded into data
// (base64-encoded, winning over data for the same key) and removed, as kube's conversion does.

import type { KubeObject } from '../types.js';
import { isObj, setDefault, type Obj } from './util.js';

export function defaultSecret(secret: KubeObject): void {
  const s = secret as Obj;
  setDefault(s, 'type', 'Opaque');
  if (isObj(s.stringData)) {
    const data: Obj = isObj(s.data) ? s.data : {};
    for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8').toString('base64');
    if (Object.keys(data).length) s.data = data;
  }
  delete s.stringData;
}
