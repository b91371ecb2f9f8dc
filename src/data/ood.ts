// Distribution shifts of a scenario's raw test examples, for out-of-distribution evaluation.
import { Generator, ones, randn, tidy, type Tensor } from '../torch/index.ts';
import type { Scenario } from './scenario.ts';
import { PAD } from './tokenizer.ts';
import { tabularView, tokenDropout } from './views.ts';
import { REFERENCE } from '../reference.ts';

const OOD_SEEDS = REFERENCE.seedOffsets.ood;

/** clip(x + σ·N(0, 1), 0, 1) on raw pixels in [0, 1]. */
export function pixelNoise(images: Tensor, generator: Generator, sigma: number): Tensor {
  return tidy(() => images.add(randn(images.shape, { generator }).mul(sigma)).clamp(0, 1));
}

/** Zeroes the central half-size square: rows and columns [H/4, H/4 + H/2). */
export function centerMask(images: Tensor): Tensor {
  return tidy(() => {
    const [, , h, w] = images.shape;
    const keep = ones([h, w]);
    keep
      .narrow(0, Math.floor(h / 4), Math.floor(h / 2))
      .narrow(1, Math.floor(w / 4), Math.floor(w / 2))
      .zero_();
    return images.mul(keep);
  });
}

/** Every position ≥ T/2 becomes PAD. */
export function truncateHalf(ids: Tensor): Tensor {
  return tidy(() => {
    const t = ids.shape[1];
    const keepLength = Math.floor(t / 2);
    const out = ids.clone();
    out.narrow(1, keepLength, t - keepLength).fill_(PAD);
    return out;
  });
}

/** Named shifted copies of s.test.raw (labels unchanged), seeded from seed + 3001 / 3002 as the reference. */
export function oodVariants(s: Scenario, seed = s.seed): Record<string, Tensor> {
  const raw = s.test.raw;
  switch (s.view.kind) {
    case 'mask-and-noise':
      return {
        'feature-mask': tabularView(raw, new Generator(seed + OOD_SEEDS[0]), 0.3, 0),
        'gaussian-noise': tabularView(raw, new Generator(seed + OOD_SEEDS[1]), 0, 0.25),
      };
    case 'random-affine':
      return {
        'gaussian-noise': pixelNoise(raw, new Generator(seed + OOD_SEEDS[0]), 0.15),
        'center-mask': centerMask(raw),
      };
    case 'token-dropout':
      return {
        'heavy-mask': tokenDropout(raw, new Generator(seed + OOD_SEEDS[0]), Math.min(0.5, 2 * s.view.dropProb)),
        'truncate-half': truncateHalf(raw),
      };
  }
}
