// Seeded index draws shared by the scenarios and the low-data subsets.
import { randperm, tidy, type Generator, type Tensor } from '../torch/index.ts';
import { nonNegativeInt, positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';

/** `count` distinct indices from 0..total−1 in random order (int64), drawn from generator. */
export function sampleIndices(total: number, count: number, generator: Generator, what = 'rows'): Tensor {
  nonNegativeInt(count, `number of ${what} to draw`);
  if (count > total) throw new ConfigError(`cannot draw ${count} ${what}: only ${total} available`);
  return tidy(() => randperm(total, { generator }).slice(0, 0, count).contiguous());
}

/** Splits 0..n−1 into shuffled batches of batchSize (the last may be shorter). */
export function shuffledBatches(n: number, batchSize: number, generator: Generator): Tensor[] {
  positiveInt(batchSize, 'batch size');
  return tidy(() =>
    randperm(n, { generator })
      .split(batchSize, 0)
      .map((b) => b.contiguous()),
  );
}
