// The servers under test run in the test's own process, so "the server crashed" shows up here as
// an uncaught exception or an unhandled rejection (which would end a real `flotilla up` or kubelet
// process). Vitest reports them too; this records them so each is tied to the case that caused it.

export class CrashWatch {
  private seen: string[] = [];
  private readonly onError = (e: unknown) => this.seen.push(String((e as Error)?.stack ?? e).split('\n').slice(0, 4).join(' / '));

  start(): void {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }

  stop(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }

  /** The errors since the last call. */
  take(): string[] {
    const s = this.seen;
    this.seen = [];
    return s;
  }
}

/** Own keys added to Object.prototype or Array.prototype (prototype pollution by a request). */
export function prototypeKeys(): string[] {
  return [...Object.getOwnPropertyNames(Object.prototype).map((k) => `Object.prototype.${k}`), ...Object.getOwnPropertyNames(Array.prototype).map((k) => `Array.prototype.${k}`)];
}

/** Removes keys a request added to Object.prototype or Array.prototype (so later cases are judged alone). */
export function restorePrototypes(baseline: string[]): void {
  const keep = new Set(baseline);
  for (const [name, proto] of [['Object.prototype', Object.prototype], ['Array.prototype', Array.prototype]] as const) {
    for (const k of Object.getOwnPropertyNames(proto)) if (!keep.has(`${name}.${k}`)) delete (proto as unknown as Record<string, unknown>)[k];
  }
}
