// The core/v1 Event printer (printEvent). Its column order differs from most resources: Last Seen comes first
// and Name is a wide-only column at the end, which is why it is spelled out here instead of reusing nameColumn().
import type { Event, KubeObject } from '../../api/types.js';
import { column, DOC, nameColumn } from './columns.js';
import { parseTime, translateTimestampSince } from './duration.js';
import type { Printer } from './types.js';

/** core/v1 EventSeries: set on events aggregated by the events.k8s.io recorder. */
interface EventSeries {
  count?: number;
  lastObservedTime?: string;
}

/** formatEventSource: "component, host", falling back to reportingComponent/reportingInstance. */
function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/** "kind/name" in lower case, or just the kind for an object reference without a name. */
function eventTarget(ev: Event): string {
  const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
  const name = ev.involvedObject?.name ?? '';
  return name ? `${kind}/${name}` : kind;
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', DOC['Event.lastTimestamp']),
    column('Type', 'string', DOC['Event.type']),
    column('Reason', 'string', DOC['Event.reason']),
    column('Object', 'string', DOC['Event.involvedObject']),
    column('Subobject', 'string', DOC['ObjectReference.fieldPath'], { priority: 1 }),
    column('Source', 'string', DOC['Event.source'], { priority: 1 }),
    column('Message', 'string', DOC['Event.message']),
    column('First Seen', 'string', DOC['Event.firstTimestamp'], { priority: 1 }),
    column('Count', 'string', DOC['Event.count'], { priority: 1 }),
    nameColumn(1),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ev = obj as Event;
    // Events written through events.k8s.io only carry eventTime; older ones carry first/lastTimestamp.
    const firstSeen =
      parseTime(ev.firstTimestamp) !== null
        ? translateTimestampSince(ev.firstTimestamp, now)
        : translateTimestampSince(ev.eventTime, now);
    let lastSeen = parseTime(ev.lastTimestamp) !== null ? translateTimestampSince(ev.lastTimestamp, now) : firstSeen;
    let count = typeof ev.count === 'number' ? ev.count : 0;
    const series = ev.series as EventSeries | undefined | null;
    if (series) {
      lastSeen = translateTimestampSince(series.lastObservedTime, now);
      count = typeof series.count === 'number' ? series.count : 0;
    } else if (count === 0) {
      // Singleton events do not set count in the new API.
      count = 1;
    }
    return [
      lastSeen,
      ev.type ?? '',
      ev.reason ?? '',
      eventTarget(ev),
      ev.involvedObject?.fieldPath ?? '',
      eventSource(ev),
      (ev.message ?? '').trim(),
      firstSeen,
      count,
      ev.metadata.name ?? '',
    ];
  },
};
