// A short fingerprint of tensors' exact bytes, for checking that two runs produced the same data.
import { createHash } from 'node:crypto';
import type { Tensor } from '../torch/index.ts';

/** First 16 hex digits of sha256 over each tensor's dtype, shape and contiguous bytes. */
export function tensorChecksum(tensors: readonly Tensor[]): string {
  const hash = createHash('sha256');
  for (const t of tensors) {
    hash.update(`${t.dtype}[${t.shape.join(',')}]`);
    const elements = t.toTypedArray(); // row-major copy in the tensor's own dtype
    hash.update(new Uint8Array(elements.buffer, elements.byteOffset, elements.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}
