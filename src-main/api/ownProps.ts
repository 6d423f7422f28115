// Property access for objects built from client data. A key such as `__proto__` is ordinary data in
// JSON (and in Go's maps), but `obj[key]` reads the prototype when `obj` has no own property of
// that name, and `obj[key] = v` calls the prototype setter: code that merges client-supplied keys
// into objects must use these, or one request could change Object.prototype for the whole process.

/** The value of an own property, never one inherited from a prototype. */
export function getOwn(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/** Assignment that keeps a key named `__proto__` as data (as Go keeps it) instead of calling the setter. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
