// JSON patch, RFC 6902 (Content-Type application/json-patch+json): `kubectl patch --type json`
// and the default of @kubernetes/client-node's patchNamespaced* calls. The operations themselves
// are applied by fast-json-patch.
//
// Status codes follow kube-apiserver (staging/.../endpoints/handlers/patch.go): a patch that does
// not decode (not a list, unknown op, missing path/from/value) is 400 BadRequest; a well-formed
// patch that cannot be applied (missing path, out-of-range index, failed `test`) is
// 422 Unprocessable Entity.

import jsonpatchLib, { type Operation } from 'fast-json-patch';
import { PatchError } from './errors.js';
import { clone, isObject } from './util.js';

// The default import is the only form that works both under plain Node ESM (the package is
// CommonJS without named-export hints) and in bundlers (which pick its index.mjs).
const { applyPatch, JsonPatchError } = jsonpatchLib;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

export function jsonPatch(original: unknown, ops: unknown): unknown {
  const operations = decode(ops);
  // fast-json-patch mutates the document and stores op values by reference: give it copies.
  const doc = clone(original);
  try {
    return applyPatch(doc, clone(operations), true, true, true).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError) {
      throw new PatchError(describe(err.name, err.operation as Operation | undefined), 422);
    }
    // fast-json-patch throws a plain TypeError for paths through __proto__/constructor.
    if (err instanceof TypeError) throw new PatchError(err.message, 422);
    throw err;
  }
}

function decode(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be a JSON list of operations');
  ops.forEach((op, i) => {
    const where = `json patch operation ${i}`;
    if (!isObject(op)) throw new PatchError(`${where} is not an object`);
    if (typeof op.op !== 'string' || !OPS.has(op.op)) {
      throw new PatchError(`${where}: unexpected kind of operation ${JSON.stringify(op.op ?? null)}`);
    }
    if (typeof op.path !== 'string') throw new PatchError(`${where} (${op.op}): missing "path"`);
    if (op.path !== '' && !op.path.startsWith('/')) {
      throw new PatchError(`${where} (${op.op}): path ${JSON.stringify(op.path)} must start with "/"`);
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw new PatchError(`${where} (${op.op}): missing "from"`);
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      throw new PatchError(`${where} (${op.op}): missing "value"`);
    }
  });
  return ops as Operation[];
}

function describe(name: string, op: Operation | undefined): string {
  const kind = op?.op ?? 'json patch';
  const path = op?.path ?? '';
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${path} failed: test failed`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${kind} operation does not apply: doc is missing from path: ${(op as { from?: string }).from}`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${kind} operation does not apply: invalid index in path: ${path}`;
    default:
      return `${kind} operation does not apply: doc is missing path: ${path}`;
  }
}
