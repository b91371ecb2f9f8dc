// Memory scopes. Every tensor handle owns one reference to its native storage; disposing a handle
// drops that reference (other handles to the same storage stay valid). `tidy(fn)` disposes every
// handle created inside fn except those it returns or `keep()`s, so training loops never wait for
// the garbage collector to release native memory.

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Disposable[][] = [];
const kept = new WeakSet<Disposable>();

export function track(item: Disposable): void {
  const top = scopes[scopes.length - 1];
  if (top) top.push(item);
}

/** Exempts a handle from disposal by the enclosing tidy scopes. */
export function keep<T extends Disposable>(item: T): T {
  kept.add(item);
  return item;
}

/** Runs fn and disposes every handle it created except the ones reachable from its result. */
export function tidy<T>(fn: () => T): T {
  const scope: Disposable[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const item of scope) if (!kept.has(item)) item.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    throw new Error('tidy() takes a synchronous function; await outside the scope');
  }
  const returned = new Set<Disposable>();
  collect(result, returned, 0);
  const parent = scopes[scopes.length - 1];
  for (const item of scope) {
    if (returned.has(item) || kept.has(item)) {
      if (parent && !kept.has(item)) parent.push(item);
    } else {
      item.dispose();
    }
  }
  return result;
}

function isDisposable(value: unknown): value is Disposable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Disposable).dispose === 'function' &&
    'isDisposed' in value
  );
}

// Walks arrays, maps and plain objects (not class instances other than handles), a few levels deep.
function collect(value: unknown, into: Set<Disposable>, depth: number): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, depth + 1);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      for (const v of Object.values(value)) collect(v, into, depth + 1);
    }
  }
}

/** Disposes every handle found in a value (a tensor, an array or a plain object of tensors). */
export function dispose(value: unknown): void {
  const found = new Set<Disposable>();
  collect(value, found, 0);
  for (const item of found) item.dispose();
}
