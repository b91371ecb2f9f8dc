// Random views of raw examples. Each function draws only from the generator it is given.
import { F, rand, randn, stack, tidy, type Generator, type Tensor } from '../torch/index.ts';
import { PAD } from './tokenizer.ts';

/** Tabular view: zero each entry with probability maskProb, then add N(0, noiseStd²) to every entry. */
export function tabularView(x: Tensor, generator: Generator, maskProb: number, noiseStd: number): Tensor {
  return tidy(() => {
    const mask = rand(x.shape, { generator }).lt(maskProb);
    const noise = randn(x.shape, { generator }).mul(noiseStd);
    return x.maskedFill(mask, 0).add(noise);
  });
}

/** Token dropout: each non-PAD id becomes PAD with probability p. */
export function tokenDropout(ids: Tensor, generator: Generator, p: number): Tensor {
  return tidy(() => {
    const drop = rand(ids.shape, { generator }).lt(p).logicalAnd(ids.ne(PAD));
    return ids.maskedFill(drop, PAD);
  });
}

export interface AffineRanges {
  /** Rotation drawn from U(−maxDegrees, maxDegrees). */
  maxDegrees: number;
  minScale: number;
  maxScale: number;
  /** Translation per axis from U(−maxShift, maxShift), in normalised [−1, 1] coordinates. */
  maxShift: number;
}

export const DEFAULT_AFFINE: AffineRanges = { maxDegrees: 12, minScale: 0.9, maxScale: 1.1, maxShift: 0.125 };

/**
 * θ (N, 2, 3) = [[s·cos a, −s·sin a, tx], [s·sin a, s·cos a, ty]] per image; the sampling grid maps output
 * coordinates through θ into the input (PyTorch's affine_grid convention).
 */
export function affineTheta(angleRad: Tensor, scale: Tensor, tx: Tensor, ty: Tensor): Tensor {
  return tidy(() => {
    const c = angleRad.cos().mul(scale);
    const s = angleRad.sin().mul(scale);
    const row0 = stack([c, s.neg(), tx], 1);
    const row1 = stack([s, c, ty], 1);
    return stack([row0, row1], 1).float();
  });
}

/** Bilinear warp of (N, C, H, W) images by θ with zero padding, align_corners = false. */
export function warpAffine(images: Tensor, theta: Tensor): Tensor {
  return tidy(() => {
    const [n, c, h, w] = images.shape;
    const grid = F.affineGrid(theta, [n, c, h, w], false);
    return F.gridSample(images, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
  });
}

/** Uniform draws in [lo, hi) from the generator. */
function uniform(n: number, lo: number, hi: number, generator: Generator): Tensor {
  return rand([n], { generator, dtype: 'float64' })
    .mul(hi - lo)
    .add(lo);
}

/** A random rotation, scale and translation per image (N, C, H, W). */
export function randomAffine(images: Tensor, generator: Generator, ranges: AffineRanges = DEFAULT_AFFINE): Tensor {
  return tidy(() => {
    const n = images.shape[0];
    const maxRad = (ranges.maxDegrees * Math.PI) / 180;
    const angle = uniform(n, -maxRad, maxRad, generator);
    const scale = uniform(n, ranges.minScale, ranges.maxScale, generator);
    const tx = uniform(n, -ranges.maxShift, ranges.maxShift, generator);
    const ty = uniform(n, -ranges.maxShift, ranges.maxShift, generator);
    return warpAffine(images, affineTheta(angle, scale, tx, ty));
  });
}
