import type { IncomingMessage } from 'node:http';
import { fieldErr, rendered, type FieldError } from '../../api/validation/fieldErrors.js';
import { goStrings } from '../../api/validation/goRender.js';
import { errors } from '../status.js';

// The options of a write (metav1.CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) read
// from the query (and, for DELETE, the body) and validated as kube-apiserver validates them
// (apimachinery/pkg/apis/meta/v1/validation: ValidateDryRun, ValidateFieldManager,
// ValidatePatchOptions). A bad option is a 422 about the options kind, e.g.
// `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Foo"}: supported values: "All"`.

export type OptionsKind = 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions';

const META = { group: 'meta.k8s.io', plural: '', kind: '' };
const FIELD_MANAGER_MAX = 128;

/** Unicode's printable characters, as Go's unicode.IsPrint (letters, marks, numbers, punctuation, symbols, ASCII space). */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function invalidOptions(kind: OptionsKind, errs: FieldError[]): Error {
  return errors.invalid({ ...META, kind } as never, '', errs);
}

/**
 * dryRun as a list: every value must be "All" (`?dryRun=All`; kubectl's delete puts it in the
 * DeleteOptions body instead). True when the write must not persist.
 */
export function dryRunOf(kind: OptionsKind, values: string[]): boolean {
  if (values.some((v) => v !== 'All')) throw invalidOptions(kind, [fieldErr.notSupported('dryRun', rendered(goStrings(values)), ['All'])]);
  return values.length > 0;
}

/** The fieldManager query parameter, validated; kube's default (the User-Agent up to its first "/") when absent. */
export function fieldManagerOf(kind: OptionsKind, req: IncomingMessage, q: URLSearchParams): string {
  const fm = q.get('fieldManager');
  if (fm) {
    const errs: FieldError[] = [];
    if (fm.length > FIELD_MANAGER_MAX) errs.push(fieldErr.tooLong('fieldManager', fm, FIELD_MANAGER_MAX));
    let i = 0;
    for (const ch of fm) {
      if (!PRINTABLE.test(ch)) {
        const cp = ch.codePointAt(0)!;
        errs.push(fieldErr.invalid('fieldManager', fm, `invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${i})`));
      }
      i += Buffer.byteLength(ch);
    }
    if (errs.length) throw invalidOptions(kind, errs);
    return fm;
  }
  return (req.headers['user-agent'] ?? 'unknown').split('/')[0]!.slice(0, FIELD_MANAGER_MAX) || 'unknown';
}

/** ValidatePatchOptions' `force` rule: only apply patches may force. */
export function checkForce(isApply: boolean, q: URLSearchParams): void {
  if (!isApply && q.get('force') !== null) throw invalidOptions('PatchOptions', [fieldErr.forbidden('force', 'may not be specified for non-apply patch')]);
}
