// Human-readable ages, as kube-apiserver prints them in Table cells.
// Mirrors k8s.io/apimachinery/pkg/util/duration.HumanDuration (v1.32) rule for rule, because kubectl
// users compare these strings against real clusters; the breakpoints below are Kubernetes', not ours.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Succinct duration with ~2-3 significant figures: "45s", "5m30s", "45m", "3h10m", "20h", "2d3h", "30d", "2y10d".
 * Go truncates toward zero when converting durations to whole units, hence Math.trunc everywhere.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = Math.trunc(ms / SECOND);
  // Up to 2s of clock skew in the past is tolerated and shown as "0s"; more is reported as invalid.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;

  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;

  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const years = Math.trunc(hours / 24 / 365);
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/**
 * Parses a metav1.Time / MicroTime string. Returns null for a missing, unparseable or Go zero time
 * ("0001-01-01T00:00:00Z"), which Kubernetes treats as "not set".
 */
export function parseTime(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) return null;
  // Go's zero time marshals as this instant; JS Date.UTC cannot express year 1 directly, so compare text.
  if (value.startsWith('0001-01-01T00:00:00')) return null;
  return t;
}

/** Like printers.go translateTimestampSince: "<unknown>" when unset, otherwise the age relative to `now`. */
export function translateTimestampSince(value: unknown, now: Date): string {
  const t = parseTime(value);
  if (t === null) return '<unknown>';
  return humanDuration(now.getTime() - t);
}
