import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { createLogger, formatJson, formatText, logEnv, logfmtValue, logSettings, silentLogger, type LogRecord, type LoggerOptions } from '../../src-main/api/log.js';
import { recordingLogger } from '../helpers/logger.js';

// The one logger (src-main/api/log.ts): its two formats, logfmt quoting, level filtering that
// costs nothing for disabled levels, child components and fields, and where its settings come from.

const T = Date.UTC(2026, 11, 7, 18, 0, 0, 123); // 2026-12-07T18:00:00.123Z

function capture(opts: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ clock: new ManualClock(T), ...opts, write: (l) => lines.push(l) });
  return { log, lines };
}

describe('text format', () => {
  it('writes time, level, component, message and key-values on one line', () => {
    const { log, lines } = capture();
    log.with('scheduler').info('bound pod', { pod: 'default/web-1', node: 'node-2' });
    expect(lines).toEqual(['2026-12-07T18:00:00.123Z INFO scheduler: bound pod pod=default/web-1 node=node-2']);
  });

  it('quotes values as logfmt does: only where a reader could not tell where they end', () => {
    expect(logfmtValue('node-2')).toBe('node-2');
    expect(logfmtValue('10.0.0.1:6443')).toBe('10.0.0.1:6443');
    expect(logfmtValue('')).toBe('""');
    expect(logfmtValue('two words')).toBe('"two words"');
    expect(logfmtValue('a=b')).toBe('"a=b"');
    expect(logfmtValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(logfmtValue('back\\slash')).toBe('"back\\\\slash"');
    expect(logfmtValue('line1\nline2\ttab')).toBe('"line1\\nline2\\ttab"');
    expect(logfmtValue('bell\u0007')).toBe('"bell\\u0007"');
    expect(logfmtValue('naïve✓')).toBe('naïve✓');
  });

  it('renders errors as their message, arrays as lists, objects as JSON, and leaves out undefined', () => {
    const { log, lines } = capture();
    log.warn('sync failed', { err: new Error('connection refused'), nodes: ['a', 'b'], n: 3, ok: false, none: null, missing: undefined, sel: { app: 'web' } });
    expect(lines[0]).toBe('2026-12-07T18:00:00.123Z WARN sync failed err="connection refused" nodes=a,b n=3 ok=false none=null sel="{\\"app\\":\\"web\\"}"');
  });

  it('keeps every record on one line, whatever the message or values hold', () => {
    const { log, lines } = capture();
    const err = new Error('boom');
    log.error('request failed\nunexpectedly', { stack: err.stack });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).toContain('ERROR request failed\\nunexpectedly stack="Error: boom\\n    at ');
  });

  it('makes odd keys readable and survives values JSON cannot hold', () => {
    const { log, lines } = capture();
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    log.info('odd', { 'a key': 1, '': 2, c: circular });
    expect(lines[0]).toBe('2026-12-07T18:00:00.123Z INFO odd a_key=1 _=2 c="[object Object]"');
  });
});

describe('JSON format', () => {
  it('writes one object per line with ts, level, component, msg and the fields', () => {
    const { log, lines } = capture({ format: 'json' });
    log.with('scheduler').info('bound pod', { pod: 'default/web-1', node: 'node-2', attempt: 2, err: new Error('x'), missing: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('{"ts":"2026-12-07T18:00:00.123Z","level":"info","component":"scheduler","msg":"bound pod","pod":"default/web-1","node":"node-2","attempt":2,"err":"x"}');
  });

  it('keeps its own keys when a field has the same name, and a record with a circular value still parses', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const record: LogRecord = { time: T, level: 'debug', component: undefined, msg: 'm', fields: { msg: 'field', level: 'x', c: circular } };
    const parsed = JSON.parse(formatJson(record));
    expect(parsed).toEqual({ ts: '2026-12-07T18:00:00.123Z', level: 'debug', msg: 'm', _msg: 'field', _level: 'x', c: '[object Object]' });
  });

  it('formats the same record as the text format does, field for field', () => {
    const record: LogRecord = { time: T, level: 'warn', component: 'kubelet', msg: 'pod sync failed', fields: { pod: 'ns/p', err: 'no such image' } };
    expect(formatText(record)).toBe('2026-12-07T18:00:00.123Z WARN kubelet: pod sync failed pod=ns/p err="no such image"');
    expect(JSON.parse(formatJson(record))).toEqual({ ts: '2026-12-07T18:00:00.123Z', level: 'warn', component: 'kubelet', msg: 'pod sync failed', pod: 'ns/p', err: 'no such image' });
  });
});

describe('levels', () => {
  it('writes the records at or above its level and drops the rest', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['WARN w', 'ERROR e']);
    expect([log.enabled('debug'), log.enabled('info'), log.enabled('warn'), log.enabled('error')]).toEqual([false, false, true, true]);
  });

  it('formats nothing and computes no fields for a disabled level', () => {
    let reads = 0;
    let computed = 0;
    // A value whose every conversion is counted: formatting would have to touch one of these.
    const spy = {
      toString: () => String(++reads),
      toJSON: () => ++reads,
      get [Symbol.toPrimitive]() {
        reads++;
        return () => 'x';
      },
    };
    const clock = { now: () => (reads++, T) };
    const lines: string[] = [];
    const log = createLogger({ level: 'info', clock, write: (l) => lines.push(l) }).with('c').with({ bound: spy });
    log.debug('chatter', { v: spy });
    log.debug('chatter', () => {
      computed++;
      return { v: spy };
    });
    expect({ reads, computed, lines }).toEqual({ reads: 0, computed: 0, lines: [] });
    log.info('progress', () => {
      computed++;
      return { v: 1 };
    });
    expect(computed).toBe(1);
    expect(lines).toHaveLength(1);
  });

  it('off writes nothing, and the silent logger (the default) is off', () => {
    const { log, lines } = capture({ level: 'off' });
    log.error('e');
    expect(lines).toEqual([]);
    expect(silentLogger.level).toBe('off');
    expect(silentLogger.enabled('error')).toBe(false);
    expect(silentLogger.with('x').with({ a: 1 }).enabled('error')).toBe(false);
  });
});

describe('children', () => {
  it('name components (nested ones joined with "/") and carry bound fields, without changing the parent', () => {
    const { log, lines } = capture();
    const cluster = log.with('cluster').with({ cluster: 'flotilla' });
    cluster.info('node started', { node: 'node-1' });
    cluster.with('relay').info('listening');
    cluster.with({ cluster: 'other' }).info('override');
    log.info('root');
    expect(lines.map((l) => l.slice(l.indexOf(' ') + 1))).toEqual([
      'INFO cluster: node started cluster=flotilla node=node-1',
      'INFO cluster/relay: listening cluster=flotilla',
      'INFO cluster: override cluster=other',
      'INFO root',
    ]);
  });

  it('share the parent\'s level and format', () => {
    const { log, lines } = capture({ level: 'error', format: 'json' });
    const child = log.with('a').with({ k: 1 });
    expect([child.level, child.format]).toEqual(['error', 'json']);
    child.warn('dropped');
    child.error('kept');
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ ts: '2026-12-07T18:00:00.123Z', level: 'error', component: 'a', msg: 'kept', k: 1 }]);
  });
});

describe('the clock', () => {
  it('stamps each record with the injected clock\'s time', () => {
    const clock = new ManualClock(T);
    const { log, lines } = capture({ clock });
    log.info('first');
    clock.advance(1500);
    log.info('second');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['2026-12-07T18:00:00.123Z', '2026-12-07T18:00:01.623Z']);
  });
});

describe('a log call never throws', () => {
  it('reports fields that cannot be computed instead of throwing', () => {
    const { log, lines } = capture();
    expect(() =>
      log.info('m', () => {
        throw new Error('bad fields');
      }),
    ).not.toThrow();
    expect(lines).toEqual(['2026-12-07T18:00:00.123Z INFO m logError="bad fields"']);
  });
});

describe('settings', () => {
  it('take a flag over the environment over the default (info, text)', () => {
    expect(logSettings({})).toEqual({ level: 'info', format: 'text' });
    expect(logSettings({ FLOTILLA_LOG_LEVEL: 'debug', FLOTILLA_LOG_FORMAT: 'JSON' })).toEqual({ level: 'debug', format: 'json' });
    expect(logSettings({ FLOTILLA_LOG_LEVEL: 'debug', FLOTILLA_LOG_FORMAT: 'json' }, { level: 'warn', format: 'text' })).toEqual({ level: 'warn', format: 'text' });
    expect(logSettings({ FLOTILLA_LOG_LEVEL: '' })).toEqual({ level: 'info', format: 'text' });
  });

  it('name the flag or variable whose value is wrong', () => {
    expect(() => logSettings({}, { level: 'verbose' })).toThrow('--log-level: "verbose" is not one of debug, info, warn, error, off');
    expect(() => logSettings({ FLOTILLA_LOG_FORMAT: 'xml' })).toThrow('FLOTILLA_LOG_FORMAT: "xml" is not one of text, json');
  });

  it('pass to a child process (a node\'s kubelet) as environment that reads back the same', () => {
    const log = createLogger({ level: 'debug', format: 'json', write: () => {} });
    const env = logEnv(log.with('x'));
    expect(env).toEqual({ FLOTILLA_LOG_LEVEL: 'debug', FLOTILLA_LOG_FORMAT: 'json' });
    expect(logSettings(env)).toEqual({ level: 'debug', format: 'json' });
  });
});

describe('the recording test helper', () => {
  it('keeps records and their lines without the timestamp', () => {
    const rec = recordingLogger({ level: 'info' });
    rec.log.with('c').debug('no');
    rec.log.with('c').info('yes', { k: 'v' });
    expect(rec.lines()).toEqual(['INFO c: yes k=v']);
    expect(rec.records.map((r) => [r.level, r.component, r.msg, r.fields])).toEqual([['info', 'c', 'yes', { k: 'v' }]]);
  });
});
