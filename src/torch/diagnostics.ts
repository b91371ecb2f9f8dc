// Memory diagnostics.
import { native } from './native.ts';

/** Tensor handles still holding native memory (neither disposed nor garbage-collected). */
export function liveTensors(): number {
  return native.liveTensors();
}

/**
 * Hands freed heap memory back to the OS. glibc keeps freed blocks for reuse, and a long-lived
 * allocation above them pins the whole heap top, so after a pass over large temporaries RSS stays
 * at the pass's peak. Call between passes of long streaming jobs; returns whether memory was released.
 */
export function releaseFreeMemory(): boolean {
  return native.releaseFreeMemory();
}

/** The libtorch and N-API versions this installation computes with. */
export function versions(): { torch: string; napi: number } {
  return native.version();
}

/** ATen's description of its parallel backends and thread counts. */
export function parallelInfo(): string {
  return native.parallelInfo().trim();
}
