import type { PassiveClock } from '../../src-main/api/clock.js';
import { createLogger, type LogRecord, type Logger, type LogThreshold } from '../../src-main/api/log.js';

// A logger that keeps what it is given, for tests that check what a component logs (or that it
// logs nothing). For a logger that writes nothing, use silentLogger from src-main/api/log.ts.

export interface RecordingLogger {
  log: Logger;
  records: LogRecord[];
  /** Each record as its text line without the timestamp: "WARN component: msg k=v". */
  lines(): string[];
}

export function recordingLogger(opts: { level?: LogThreshold; clock?: PassiveClock } = {}): RecordingLogger {
  const records: LogRecord[] = [];
  const text: string[] = [];
  const log = createLogger({
    level: opts.level ?? 'debug',
    clock: opts.clock,
    write: (line, record) => {
      records.push(record);
      text.push(line.slice(line.indexOf(' ') + 1));
    },
  });
  return { log, records, lines: () => [...text] };
}
