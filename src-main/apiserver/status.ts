import type { Status, StatusCause } from '../api/types.js';
import type { ResourceDef } from '../api/resources.js';
import { qualifiedKind, qualifiedResource } from '../api/resources.js';
import type { FieldError } from '../api/validation/fieldErrors.js';

// metav1.Status errors shaped as k8s.io/apimachinery/pkg/api/errors builds them. Note that
// details.kind is the plural resource for NotFound/AlreadyExists/Conflict but the Kind for Invalid.

export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
}

function status(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  // metav1.Status's field order, which kube-apiserver's encoder writes: details before code.
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  return new ApiError(s);
}

/** A Status as kube-apiserver writes it: fields in metav1.Status's order, then a newline (json.Encoder). */
export function statusJSON(s: Status): string {
  const { kind, apiVersion, metadata, status: st, message, reason, details, code, ...rest } = s;
  return `${JSON.stringify({ kind, apiVersion, metadata, status: st, message, reason, details, code, ...rest })}\n`;
}

export const errors = {
  notFound(r: ResourceDef | { group: string; plural: string }, name: string): ApiError {
    const qr = r.group ? `${r.plural}.${r.group}` : r.plural;
    return status(404, 'NotFound', `${qr} "${name}" not found`, { name, group: r.group || undefined, kind: r.plural });
  },
  alreadyExists(r: ResourceDef, name: string): ApiError {
    return status(409, 'AlreadyExists', `${qualifiedResource(r)} "${name}" already exists`, { name, group: r.group || undefined, kind: r.plural });
  },
  conflict(r: ResourceDef, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`, { name, group: r.group || undefined, kind: r.plural });
  },
  invalid(r: ResourceDef, name: string, errs: FieldError[]): ApiError {
    const causes: StatusCause[] = errs.map((e) => ({ reason: e.type, message: e.message, field: e.field }));
    const parts = errs.map((e) => `${e.field}: ${e.message}`);
    const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return status(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${joined}`, { name, group: r.group || undefined, kind: r.kind, causes });
  },
  badRequest(message: string): ApiError {
    return status(400, 'BadRequest', message);
  },
  unauthorized(): ApiError {
    return status(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(r: ResourceDef | null, name: string, why: string, causes?: StatusCause[]): ApiError {
    // apierrors.NewForbidden: "forbidden: <why>" without a resource, "<resource> is forbidden" without a name.
    const what = r ? (name ? `${qualifiedResource(r)} "${name}" is forbidden: ` : `${qualifiedResource(r)} is forbidden: `) : 'forbidden: ';
    return status(403, 'Forbidden', `${what}${why}`, r ? { name: name || undefined, group: r.group || undefined, kind: r.plural, ...(causes ? { causes } : {}) } : undefined);
  },
  methodNotAllowed(method: string): ApiError {
    return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
  },
  notFoundPath(): ApiError {
    return status(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  expired(message: string): ApiError {
    return status(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return status(410, 'Gone', message);
  },
  unsupportedMediaTypeFor(message: string): ApiError {
    return status(415, 'UnsupportedMediaType', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${contentType || 'none'})`);
  },
  /**
   * A well-formed patch that cannot be applied (a failed JSON patch `test`, a missing path, a
   * $retainKeys mismatch). kube-apiserver answers NewGenericServerResponse(422, ...): a generic
   * message and empty details, so kubectl prints "The request is invalid: the server rejected our
   * request due to an error in our request".
   */
  patchNotApplicable(): ApiError {
    return status(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  },
  internal(message: string): ApiError {
    return status(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  tooManyRequests(message: string): ApiError {
    return status(429, 'TooManyRequests', message);
  },
  fieldConflict(message: string, causes: StatusCause[]): ApiError {
    return status(409, 'Conflict', message, { causes });
  },
};

export function successStatus(details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}), code: 200 };
}
