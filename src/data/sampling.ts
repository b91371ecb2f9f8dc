// Seeded index draws shared by the scenarios and the low-data subsets.
import { randperm, tidy, type Generator, type Tensor } from '../torch/index.ts';

/** `count` distinct indices from 0..total−1 in random order (int64), drawn from generator. */
export function sampleIndices(total: number, count: number, generator: Generator, what = 'rows'): Tensor {
  if (!Number.isInteger(count) || count < 0 || count > total) {
    throw new RangeError(`cannot draw ${count} ${what}: only ${total} available`);
  }
  return tidy(() => randperm(total, { generator }).slice(0, 0, count).contiguous());
}

/** Splits 0..n−1 into shuffled batches of batchSize (the last may be shorter). */
export function shuffledBatches(n: number, batchSize: number, generator: Generator): Tensor[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  return tidy(() => randperm(n, { generator }).split(batchSize, 0).map((b) => b.contiguous()));
}
