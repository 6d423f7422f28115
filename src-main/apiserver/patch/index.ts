// Flotilla's patch engine: pure functions (no HTTP, no storage) behind the PATCH verb and the
// field-ownership bookkeeping of every write.
//
//   strategicMergePatch  application/strategic-merge-patch+json  (smp.ts, merge keys in mergeKeys.ts)
//   jsonMergePatch       application/merge-patch+json, RFC 7386  (mergePatch.ts)
//   jsonPatch            application/json-patch+json, RFC 6902   (jsonPatch.ts, via fast-json-patch)
//   serverSideApply      application/apply-patch+yaml            (apply.ts, fieldsV1.ts, managedFields.ts)
//   recordUpdateManager  managedFields for create/update/patch   (update.ts)
//
// Inputs are never mutated and results never share structure with them; the one exception is
// recordUpdateManager, whose job is to set newObj.metadata.managedFields. Every failure is a
// PatchError carrying the HTTP status kube-apiserver would use (400, 409 apply conflict, 422).
//
// Known limits (see each file's header): merge keys are a hand-written table for the built-in
// kinds Flotilla serves (unknown kinds merge maps and replace lists); SSA does no defaulting,
// treats applied nulls as absent and uses the single strategic merge key for keyed lists; kube's
// cap of 10 Update managers (collapsing into "ancient-changes") is not implemented.

export { PatchError, type PatchErrorCause } from './errors.js';
export { strategicMergePatch } from './smp.js';
export { jsonMergePatch } from './mergePatch.js';
export { jsonPatch } from './jsonPatch.js';
export { serverSideApply, type ApplyOptions, type ApplyResult } from './apply.js';
export { recordUpdateManager, type UpdateManagerOptions } from './update.js';
