// Field errors shaped like k8s.io/apimachinery/pkg/util/validation/field: each one becomes a
// StatusCause {reason, message, field} of a 422 Invalid Status, and its text is what kubectl prints.

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound';

export interface FieldError {
  type: FieldErrorType;
  /** JSON-ish path as Kubernetes prints it, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  /** The full message after the field, e.g. `Invalid value: -1: must be greater than or equal to 0`. */
  message: string;
}

/**
 * A value already rendered the way Kubernetes 1.32 prints it. Go's field errors print maps, slices
 * and structs with %#v (e.g. `map[string]string{"app":"x"}`), which JSON cannot reproduce, so
 * validators render those themselves (see goRender.ts) and wrap the text in this class.
 */
export class Rendered {
  constructor(readonly text: string) {}
}

/** Wraps pre-rendered value text so show() prints it verbatim. */
export function rendered(text: string): Rendered {
  return new Rendered(text);
}

function show(value: unknown): string {
  if (value instanceof Rendered) return value.text;
  // Kubernetes prints strings quoted and numbers/booleans bare (field.Invalid's %#v-ish output).
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export const fieldErr = {
  required(field: string, detail = ''): FieldError {
    return { type: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${show(value)}: supported values: ${list}` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${show(value)}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  tooLong(field: string, value: unknown, max: number): FieldError {
    return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
  },
  /** field.NotFound: a reference (e.g. a volumeMount's name) that matches nothing. */
  notFound(field: string, value: unknown, detail = ''): FieldError {
    return { type: 'FieldValueNotFound', field, message: `Not found: ${show(value)}${detail ? `: ${detail}` : ''}` };
  },
  /** field.TooMany: a list longer than its limit (the actual count is printed as the value). */
  tooMany(field: string, actual: number, max: number): FieldError {
    return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
  },
};
