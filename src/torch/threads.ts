// ATen intra-op threads: CFINIT_NUM_THREADS, else every core. Set once at load, changeable later.
import os from 'node:os';
import { native } from './native.ts';

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: need a positive integer, got ${n}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

export function defaultNumThreads(): number {
  const fromEnv = process.env.CFINIT_NUM_THREADS;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`CFINIT_NUM_THREADS must be a positive integer, got '${fromEnv}'`);
    return n;
  }
  return os.availableParallelism();
}

setNumThreads(defaultNumThreads());
