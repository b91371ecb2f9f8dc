// A short fingerprint of tensors' exact bytes, for checking that two runs produced the same data.
import { createHash } from 'node:crypto';
import { tidy, type Tensor } from '../torch/index.ts';

/** First 16 hex digits of sha256 over each tensor's dtype, shape and contiguous bytes. */
export function tensorChecksum(tensors: readonly Tensor[]): string {
  const hash = createHash('sha256');
  for (const t of tensors) {
    hash.update(`${t.dtype}[${t.shape.join(',')}]`);
    tidy(() => { hash.update(new Uint8Array(t.contiguous().native.toBuffer())); });
  }
  return hash.digest('hex').slice(0, 16);
}
