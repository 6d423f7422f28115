// The one error type the patch engine throws. The HTTP layer turns it into a metav1.Status:
// `code` picks the HTTP status (400 BadRequest, 409 Conflict for apply conflicts, 422 Invalid) and
// `causes` become `details.causes` (kube sends one FieldManagerConflict cause per conflicting field).

export interface PatchErrorCause {
  reason?: string;
  message?: string;
  field?: string;
}

export class PatchError extends Error {
  constructor(
    message: string,
    public code: 400 | 409 | 422 = 400,
    public causes?: PatchErrorCause[],
  ) {
    super(message);
    this.name = 'PatchError';
  }
}
