// Low-data slices: a seeded subset of the train rows; the test set and the encoding stay as they are.
import { arange, Generator, tidy, type Tensor } from '../torch/index.ts';
import { finiteNumber } from '../checks.ts';
import { sampleIndices } from './sampling.ts';
import type { Scenario } from './scenario.ts';
import { REFERENCE } from '../reference.ts';

/** The reference's seed for a fraction's subset: seed + round(1000·fraction) + 7000. */
export function lowDataSeed(seed: number, fraction: number): number {
  return seed + Math.round(fraction * 1000) + REFERENCE.seedOffsets.lowData;
}

/** round(total·fraction) (at least 1) distinct indices in increasing order; all rows when fraction ≥ 1. */
export function subsetIndices(total: number, fraction: number, seed: number): Tensor {
  finiteNumber(fraction, 'low-data fraction', { min: 0, exclusiveMin: true });
  if (fraction >= 1) return arange(0, total);
  const count = Math.max(1, Math.round(total * fraction));
  return tidy(() => sampleIndices(total, count, new Generator(seed)).sort(0).values);
}

/** The scenario trained on a fraction of its rows (seeded by lowDataSeed), tested on the full test set. */
export function lowDataSubset(s: Scenario, fraction: number, seed = lowDataSeed(s.seed, fraction)): Scenario {
  const train = tidy(() => {
    const idx = subsetIndices(s.train.raw.shape[0], fraction, seed);
    return { raw: s.train.raw.indexSelect(0, idx), labels: s.train.labels.indexSelect(0, idx) };
  });
  return { ...s, train, details: { ...s.details, lowDataFraction: fraction, lowDataSeed: seed } };
}
