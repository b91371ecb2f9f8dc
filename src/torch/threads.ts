// ATen intra-op threads: CFINIT_NUM_THREADS, else every core (native.ts passes it to libgomp), changeable later.
import { defaultNumThreads, native } from './native.ts';

export { defaultNumThreads };

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: need a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** OpenBLAS's own thread count (0 when libtorch runs on another BLAS). */
export function getBlasThreads(): number {
  return native.blasThreads();
}

/**
 * Runs fn with OpenBLAS at n threads, then restores its count (a no-op on another BLAS). For LAPACK on small
 * matrices: its many level-2 calls each wake OpenBLAS's sleeping workers, so a 54×54 eigh took 4–7 ms on two
 * threads against 0.45 ms on one.
 */
export function withBlasThreads<T>(n: number, fn: () => T): T {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`withBlasThreads: need a positive integer, got ${n}`);
  const previous = native.blasThreads(n);
  try {
    return fn();
  } finally {
    if (previous > 0) native.blasThreads(previous);
  }
}

// native.ts passed the count to libgomp; set it here only if libgomp had started before with another one
if (getNumThreads() !== defaultNumThreads()) setNumThreads(defaultNumThreads());
