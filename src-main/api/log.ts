import { systemClock, type PassiveClock } from './clock.js';

// One structured, levelled logger for every component (control plane, kubelet, CLI). A record
// is a level, the component speaking, a constant message and key-values, written as one line:
//
//   text  2026-12-07T18:00:00.123Z INFO scheduler: bound pod pod=default/web-1 node=node-2
//   json  {"ts":"2026-12-07T18:00:00.123Z","level":"info","component":"scheduler","msg":"bound pod","pod":"default/web-1","node":"node-2"}
//
// As kube's structured logging (klog.InfoS) asks, the message stays constant and what varies goes
// into key-values (pod=ns/name, node=..., err=...), so lines can be searched and parsed. Levels:
// error = it failed and nothing will retry it; warn = it failed and will be retried, or something
// is off; info = normal progress; debug = chatter. Each component names itself with
// `log.with('<component>')` from the logger it is given.
//
// Hand-written rather than a library: it runs in the kubelet bundle in every node container,
// where this is a few KB with no dependency (pino, for one, adds sonic-boom, thread-stream and a
// worker thread per transport). A disabled level costs one comparison: nothing is formatted, and
// fields given as a function are not even computed.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The least severe level that is written; 'off' writes nothing. */
export type LogThreshold = LogLevel | 'off';
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Record<string, unknown>;
/** Key-values, or a function returning them (called only when the level is enabled). */
export type LogFieldsArg = LogFields | (() => LogFields);

export interface LogRecord {
  /** Milliseconds since the epoch, from the logger's clock. */
  time: number;
  level: LogLevel;
  component: string | undefined;
  msg: string;
  fields: LogFields;
}

export interface Logger {
  readonly level: LogThreshold;
  readonly format: LogFormat;
  /** Whether records of this level are written (to skip costly work done only for a log line). */
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFieldsArg): void;
  info(msg: string, fields?: LogFieldsArg): void;
  warn(msg: string, fields?: LogFieldsArg): void;
  error(msg: string, fields?: LogFieldsArg): void;
  /** A child: a component name (nested ones join with "/"), or key-values on every record. */
  with(componentOrFields: string | LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogThreshold;
  format?: LogFormat;
  clock?: PassiveClock;
  /** Where each line goes (without its newline). Default: process.stderr. */
  write?: (line: string, record: LogRecord) => void;
}

const RANK: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, off: Infinity };

interface Sink {
  readonly rank: number;
  readonly level: LogThreshold;
  readonly format: LogFormat;
  readonly clock: PassiveClock;
  readonly write: (line: string, record: LogRecord) => void;
}

class StructuredLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly component: string | undefined,
    private readonly bound: LogFields | undefined,
  ) {}

  get level(): LogThreshold {
    return this.sink.level;
  }

  get format(): LogFormat {
    return this.sink.format;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.sink.rank;
  }

  debug(msg: string, fields?: LogFieldsArg): void {
    if (RANK.debug >= this.sink.rank) this.emit('debug', msg, fields);
  }

  info(msg: string, fields?: LogFieldsArg): void {
    if (RANK.info >= this.sink.rank) this.emit('info', msg, fields);
  }

  warn(msg: string, fields?: LogFieldsArg): void {
    if (RANK.warn >= this.sink.rank) this.emit('warn', msg, fields);
  }

  error(msg: string, fields?: LogFieldsArg): void {
    if (RANK.error >= this.sink.rank) this.emit('error', msg, fields);
  }

  with(componentOrFields: string | LogFields): Logger {
    if (typeof componentOrFields === 'string') {
      return new StructuredLogger(this.sink, this.component ? `${this.component}/${componentOrFields}` : componentOrFields, this.bound);
    }
    return new StructuredLogger(this.sink, this.component, { ...this.bound, ...componentOrFields });
  }

  private emit(level: LogLevel, msg: string, fields: LogFieldsArg | undefined): void {
    const record: LogRecord = { time: this.sink.clock.now(), level, component: this.component, msg, fields: {} };
    let line: string;
    try {
      const own = typeof fields === 'function' ? fields() : fields;
      record.fields = this.bound ? { ...this.bound, ...own } : (own ?? {});
      line = this.sink.format === 'json' ? formatJson(record) : formatText(record);
    } catch (e) {
      // A log call must never break the code that makes it: say what went wrong instead.
      record.fields = { logError: e instanceof Error ? e.message : String(e) };
      line = this.sink.format === 'json' ? formatJson(record) : formatText(record);
    }
    this.sink.write(line, record);
  }
}

const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  return new StructuredLogger({ rank: RANK[level], level, format: opts.format ?? 'text', clock: opts.clock ?? systemClock, write: opts.write ?? toStderr }, undefined, undefined);
}

/** Writes nothing: the default where a caller gives no logger. */
export const silentLogger: Logger = createLogger({ level: 'off', write: () => {} });

// ---- formats ----

/** A value as text: an Error is its message, an array of plain values is comma-joined. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.join(',');
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v); // circular
  }
}

// What makes a logfmt value need quotes: blanks, quotes, '=', backslashes, control characters.
const NEEDS_QUOTES = /[\s"=\\\p{Cc}]/u;
const CONTROL = /\p{Cc}/gu;

/** logfmt: bare when it can be read back unambiguously, else quoted with Go's escapes. */
export function logfmtValue(s: string): string {
  return s === '' || NEEDS_QUOTES.test(s) ? JSON.stringify(s) : s;
}

function logfmtKey(k: string): string {
  return k === '' ? '_' : k.replace(/[\s"=\p{Cc}]/gu, '_');
}

/** The message stays bare (readable), but a newline in it must not start a second record. */
function oneLine(s: string): string {
  return s.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));
}

export function formatText(r: LogRecord): string {
  let line = `${new Date(r.time).toISOString()} ${r.level.toUpperCase()} ${r.component ? `${r.component}: ` : ''}${oneLine(r.msg)}`;
  for (const k in r.fields) {
    const v = r.fields[k];
    if (v !== undefined) line += ` ${logfmtKey(k)}=${logfmtValue(textOf(v))}`;
  }
  return line;
}

const RESERVED = new Set(['ts', 'level', 'component', 'msg']);

function jsonValue(v: unknown): unknown {
  if (v instanceof Error) return v.message;
  if (typeof v === 'bigint') return String(v);
  return v;
}

export function formatJson(r: LogRecord): string {
  const o: Record<string, unknown> = { ts: new Date(r.time).toISOString(), level: r.level };
  if (r.component) o.component = r.component;
  o.msg = r.msg;
  for (const k in r.fields) {
    const v = r.fields[k];
    if (v !== undefined) o[RESERVED.has(k) ? `_${k}` : k] = jsonValue(v);
  }
  try {
    return JSON.stringify(o);
  } catch {
    // A value JSON cannot hold (circular): every field as text instead.
    for (const k in o) if (o[k] !== null && typeof o[k] === 'object') o[k] = textOf(o[k]);
    return JSON.stringify(o);
  }
}

// ---- settings: flags and environment ----

export interface LogSettings {
  level: LogThreshold;
  format: LogFormat;
}

export const LOG_LEVEL_ENV = 'FLOTILLA_LOG_LEVEL';
export const LOG_FORMAT_ENV = 'FLOTILLA_LOG_FORMAT';

function oneOf<T extends string>(allowed: readonly T[], v: string, what: string): T {
  const lower = v.trim().toLowerCase();
  const found = allowed.find((a) => a === lower);
  if (found === undefined) throw new Error(`${what}: "${v}" is not one of ${allowed.join(', ')}`);
  return found;
}

/**
 * The level and format: a flag's value wins over the environment's, which wins over the default
 * (info, text). Throws naming the flag or variable whose value is not a level or format.
 */
export function logSettings(env: Record<string, string | undefined>, flags: { level?: string; format?: string } = {}): LogSettings {
  const pick = <T extends string>(allowed: readonly T[], flag: string | undefined, flagName: string, envName: string, dflt: T): T => {
    if (flag !== undefined) return oneOf(allowed, flag, flagName);
    const fromEnv = env[envName];
    return fromEnv ? oneOf(allowed, fromEnv, envName) : dflt;
  };
  return {
    level: pick<LogThreshold>([...LOG_LEVELS, 'off'], flags.level, '--log-level', LOG_LEVEL_ENV, 'info'),
    format: pick<LogFormat>(LOG_FORMATS, flags.format, '--log-format', LOG_FORMAT_ENV, 'text'),
  };
}

/** The environment that gives a child process (a node's kubelet) this logger's level and format. */
export function logEnv(log: Pick<Logger, 'level' | 'format'>): Record<string, string> {
  return { [LOG_LEVEL_ENV]: log.level, [LOG_FORMAT_ENV]: log.format };
}
