// Timestamps as the API writes them: metav1.Time is RFC 3339 with whole seconds
// ("2025-01-01T00:00:00Z"), unlike Date's toISOString() which adds milliseconds.

/** metav1.Time for a moment (a Date or milliseconds since the epoch; default: now). */
export function nowISO(t: Date | number = Date.now()): string {
  return (typeof t === 'number' ? new Date(t) : t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
