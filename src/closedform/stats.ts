// Paired second-moment statistics of two views, accumulated over mini-batches of rows.
//
// With a shared mean μ = ½(m₁ + m₂) and the centred views X₁ = H₁ − μ, X₂ = H₂ − μ, the statistics
// the closed-form layers need follow from two Gram matrices only:
//   S = X₁ + X₂ = (H₁ + H₂) − 2μ   (column mean zero),   D = X₁ − X₂ = H₁ − H₂   (μ cancels)
//   Σ̄ = ½(Σ₁ + Σ₂) = (SᵀS + DᵀD) / 4n,   C = sym(½(X₁ᵀX₂ + X₂ᵀX₁)/n) = (SᵀS − DᵀD) / 4n,   Δ = DᵀD / n
// so a single streaming pass costs two d×d symmetric products (syrk) per batch. SᵀS is accumulated around a
// shift c (the first batch's mean of H₁ + H₂) and corrected at the end, which keeps the one-pass
// sums well conditioned: SᵀS = Σ(s − c)(s − c)ᵀ − n·(s̄ − c)(s̄ − c)ᵀ.
import { nonNegativeInt, positiveInt, seedValue } from '../checks.ts';
import { ConfigError, ShapeError } from '../errors.ts';
import {
  Generator,
  empty,
  fused,
  keep,
  linalg,
  randperm,
  tidy,
  zeros,
  type DType,
  type Tensor,
} from '../torch/index.ts';

export interface PairedStats {
  /** Rows the statistics were taken over. */
  n: number;
  /** Shared mean μ = ½(mean H₁ + mean H₂), shape (1, d). */
  mean: Tensor;
  /** Σ̄ = sym(½(Σ₁ + Σ₂)), biased (1/n). */
  sigmaBar: Tensor;
  /** C = sym(½(X₁ᵀX₂ + X₂ᵀX₁)/n). */
  shared: Tensor;
  /** Δ = sym((X₁ − X₂)ᵀ(X₁ − X₂)/n). */
  delta: Tensor;
}

/**
 * Streams row batches of two views into the float64 sums behind PairedStats. Batch products run
 * in the batches' own dtype (float32 batches give float32 Gram products added into float64 sums).
 */
export class PairedStatsAccumulator {
  private n = 0;
  private shift: Tensor | null = null;
  private readonly shiftedSum: Tensor;
  private readonly sumGram: Tensor;
  private readonly diffGram: Tensor;

  constructor(readonly dim: number) {
    positiveInt(dim, 'PairedStatsAccumulator: dim');
    // kept: the sums outlive any tidy scope the accumulator is created or fed in
    this.shiftedSum = keep(zeros([1, dim], { dtype: 'float64' }));
    this.sumGram = keep(zeros([dim, dim], { dtype: 'float64' }));
    this.diffGram = keep(zeros([dim, dim], { dtype: 'float64' }));
  }

  /**
   * Adds rows h1, h2 of shape (b, d) (any leading dims are flattened); scratch: two tensors of h1's
   * shape and dtype for S and D, or fresh ones when omitted.
   */
  add(h1: Tensor, h2: Tensor, scratch?: readonly [Tensor, Tensor]): void {
    const d = this.dim;
    if (h1.size(-1) !== d || h2.size(-1) !== d) {
      throw new ShapeError(`PairedStatsAccumulator: expected ${d} features, got [${h1.shape}] and [${h2.shape}]`);
    }
    if (h1.numel() !== h2.numel()) {
      throw new ShapeError(
        `PairedStatsAccumulator: the views must have the same shape, got [${h1.shape}] and [${h2.shape}]`,
      );
    }
    const rows = h1.numel() / d;
    if (rows === 0) return;
    tidy(() => {
      const a = h1.reshape(-1, d).contiguous();
      const b = h2.reshape(-1, d).contiguous();
      if (this.shift === null) this.shift = keep(a.mean(0, true, 'float64').add(b.mean(0, true, 'float64')));
      const s = scratch ? scratch[0].view(-1, d) : empty([rows, d], { dtype: a.dtype });
      const diff = scratch ? scratch[1].view(-1, d) : empty([rows, d], { dtype: a.dtype });
      const sums = fused.sumAndDifference(a, b, this.shift.to(a.dtype), s, diff); // [Σ(s − c) | ‖·‖² | ‖·‖²]
      this.shiftedSum.add_(sums.narrow(0, 0, d).view(1, d));
      fused.symmetricRankUpdates_([this.sumGram, this.diffGram], [s, diff], [1, 1]);
    });
    this.n += rows;
  }

  get rows(): number {
    return this.n;
  }

  /** The statistics of everything added so far (float64). */
  finish(): PairedStats {
    if (this.n === 0 || this.shift === null) throw new ShapeError('PairedStatsAccumulator: no rows were added');
    const n = this.n;
    const shift = this.shift;
    return tidy(() => {
      const offset = this.shiftedSum.div(n); // s̄ − c
      const sTs = this.sumGram.sub(offset.t().mm(offset).mul(n));
      const dTd = this.diffGram;
      const sigmaBar = linalg.sym(sTs.add(dTd).div(4 * n));
      const shared = linalg.sym(sTs.sub(dTd).div(4 * n));
      const delta = linalg.sym(dTd.div(n));
      const mean = offset.add(shift).mul(0.5); // μ = s̄ / 2
      return { n, mean, sigmaBar, shared, delta };
    });
  }

  dispose(): void {
    this.shift?.dispose();
    this.shiftedSum.dispose();
    this.sumGram.dispose();
    this.diffGram.dispose();
  }
}

/**
 * PairedStats of two (n, d) views held in memory, streamed in batches of `batchRows` rows; scratch: two
 * computeDtype buffers of at least min(batchRows, n) rows for S and D (fresh ones per batch when omitted).
 */
export function pairedStats(
  h1: Tensor,
  h2: Tensor,
  options: { batchRows?: number; computeDtype?: DType; scratch?: readonly [Tensor, Tensor] } = {},
): PairedStats {
  checkPair(h1, h2, 'pairedStats');
  const d = h1.size(-1);
  const x1 = h1.reshape(-1, d);
  const x2 = h2.reshape(-1, d);
  const rows = x1.size(0);
  const batch = positiveInt(options.batchRows ?? 65536, 'pairedStats: batchRows');
  const dtype = options.computeDtype ?? 'float64';
  const acc = new PairedStatsAccumulator(d);
  try {
    for (let start = 0; start < rows; start += batch) {
      const len = Math.min(batch, rows - start);
      tidy(() => {
        const scratch = options.scratch?.map((s) => s.narrow(0, 0, len)) as [Tensor, Tensor] | undefined;
        acc.add(x1.narrow(0, start, len).to(dtype), x2.narrow(0, start, len).to(dtype), scratch);
      });
    }
    return acc.finish();
  } finally {
    acc.dispose();
  }
}

/** Throws unless a and b are two views of equal shape with a feature axis. */
export function checkPair(a: Tensor, b: Tensor, where: string): void {
  if (a.ndim < 2) throw new ShapeError(`${where}: views must have a batch and a feature axis, got shape [${a.shape}]`);
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new ShapeError(`${where}: the two views must have the same shape, got [${a.shape}] and [${b.shape}]`);
  }
  if (a.numel() === 0) throw new ShapeError(`${where}: the views are empty (shape [${a.shape}])`);
}

/**
 * The rows a subset fit uses: `rows` of 0..n−1 drawn without replacement by a Generator seeded with
 * `seed`, in ascending order (int64, shape (rows,)). The same (n, rows, seed) always gives the same rows.
 */
export function subsetRows(n: number, rows: number, seed: number): Tensor {
  nonNegativeInt(n, 'subsetRows: n');
  nonNegativeInt(rows, 'subsetRows: rows');
  seedValue(seed, 'subsetRows: seed');
  if (rows > n) throw new ConfigError(`subsetRows: rows must be ≤ n = ${n}, got ${rows}`);
  return tidy(
    () =>
      randperm(n, { generator: new Generator(seed) })
        .narrow(0, 0, rows)
        .sort().values,
  );
}
