// The reference benchmark's hyperparameters and shapes (Axym-Labs/closed-form-initialization,
// init_finetune_realworld_eval.py), in one typed table. The data floor, the trainer, the benchmark
// and the bench/ scripts all read from here; no value is typed twice. Pure data: no imports.

export const SCENARIOS = [
  'covtype_mlp',
  'cifar100_transformer',
  'qnli_transformer',
  'wikitext2_next_token_transformer',
] as const;

/** Train/test sizes and token shapes of the four scenarios (T tokens of width d; covtype is a 54-column table). */
export const SCENARIO_SHAPES = {
  covtype_mlp: { nTrain: 12000, nTest: 3000, features: 54, classes: 7 },
  cifar100_transformer: { nTrain: 8000, nTest: 2000, tokens: 16, dim: 192, classes: 100, patch: 8, pooling: 'mean' },
  qnli_transformer: { nTrain: 10000, nTest: 3000, tokens: 80, dim: 64, classes: 2, vocabSize: 8192, pooling: 'mean' },
  wikitext2_next_token_transformer: {
    nTrain: 16000,
    nTest: 4000,
    tokens: 64,
    dim: 64,
    classes: 4096,
    vocabSize: 4096,
    pooling: 'last',
  },
} as const;

export const REFERENCE = {
  seeds: [7, 11, 19],
  /** torch.optim.AdamW settings shared by every gradient-trained model; constant lr, no clipping. */
  adamw: { betas: [0.9, 0.999] as [number, number], eps: 1e-8 },
  /** Backprop MLP (covtype): 54 → 507 → 507 → 507 bias-free Linear + ReLU, then Linear(507, C) with bias. */
  mlp: { width: 507, depth: 3, epochs: 8, batch: 256, lr: 1e-3, weightDecay: 1e-4 },
  /** Backprop baseline transformer: depth 3 pre-norm layers, FFN 2d, 4 heads (or the first of 3, 2, 1 dividing d). */
  transformer: { depth: 3, mlpRatio: 2, epochs: 5, batch: 128, lr: 3e-4, weightDecay: 0.05 },
  /** Closed-form encoders: λ of the shrinkage layers, analytic heads × landmarks (rank r = 16). */
  closedForm: {
    mlp: { depth: 3, lambda: 1 },
    transformer: { depth: 3, lambda: 1, heads: 2, landmarks: 8 },
  },
  /**
   * Fit size (beyond the reference): a fit on a fraction f < 1 takes its statistics on ⌈f·N⌉ rows drawn by
   * seed + seedOffsets.fitSubset; 'auto' stops when the first layer's shrinkage gains move by less than
   * `tolerance` (relative) between doubling chunks (src/closedform/fitsize.ts). 0.01 stops CIFAR-100 at 1/4, QNLI
   * and WikiText-2 at 1/16 of the rows (seed 7) and never settles on covtype, where a full fit costs ~0.05 s.
   */
  fitSize: { tolerance: 0.01 },
  /** Frozen encoder + cross-entropy head on concatenated pooled features. */
  ceHead: { epochs: 24, maxBatch: 512, lr: 5e-3, weightDecay: 1e-4 },
  /** Residual ridge read-outs of the no-gradient classifier: W = (XᵀX + λI)⁻¹ Xᵀ(Y − Ŷ). */
  ridge: { lambda: 100, temperatureRows: 4096 },
  /** Seed offsets: every random draw of a run is seeded from the run's seed plus one of these. */
  seedOffsets: {
    /** CF MLP fine-tune head ℓ: seed + 1000 + ℓ. */
    mlpFineTuneHead: 1000,
    /** CF transformer fine-tune head ℓ: seed + 2000 + ℓ. */
    transformerFineTuneHead: 2000,
    /** CE head: seed + 3000. */
    ceHead: 3000,
    /** Paired train views: seed + 101, seed + 102; test views seed + 202, seed + 203. */
    trainViews: [101, 102] as [number, number],
    testViews: [202, 203] as [number, number],
    /** OOD shifts: seed + 3001, seed + 3002. */
    ood: [3001, 3002] as [number, number],
    /** Low-data subset: seed + round(1000·fraction) + 7000. */
    lowData: 7000,
    /** cf-ridge next-token temperature: the ≤ 4096 train rows it is fitted on, seed + 1701. */
    temperatureRows: 1701,
    /** Rows of a fit on a fraction of the data (and the adaptive probe's order): seed + 4000. */
    fitSubset: 4000,
    /**
     * The literature's initializers (orthogonal matrices, LSUV's batch, mimetic's Z): seed + 5000, a stream of
     * their own, so the network's default draw and the batch order stay backprop's.
     */
    initializer: 5000,
  },
  /** Regimes of the benchmark. */
  regimes: {
    anytimeFractions: [0.01, 0.05, 0.1, 0.25, 0.5, 1],
    lowDataFractions: [0.01, 0.1],
    lowDataCheckpoints: [0.1, 1],
    transferFractions: [0.01, 0.1, 1],
    /** Compute-to-target: mean backprop final × 0.95 (accuracy) or × 1.05 (cross-entropy). */
    targetAccuracyRatio: 0.95,
    targetCrossEntropyRatio: 1.05,
  },
  /**
   * The reference's published matched-budget finals (primary metric: accuracy, or validation
   * cross-entropy for wikitext) for backprop / CF + fine-tune / CF + CE head.
   */
  published: {
    covtype_mlp: { backprop: 0.7561, 'cf-finetune': 0.7187, 'cf-ce-head': 0.7249 },
    cifar100_transformer: { backprop: 0.1233, 'cf-finetune': 0.0957, 'cf-ce-head': 0.1125 },
    qnli_transformer: { backprop: 0.5346, 'cf-finetune': 0.5214, 'cf-ce-head': 0.5414 },
    wikitext2_next_token_transformer: { backprop: 5.6511, 'cf-finetune': 5.7923, 'cf-ce-head': 6.3336 },
  },
  /** The reference's published low-data finals, by train-data fraction (the same metrics). */
  publishedLowData: {
    covtype_mlp: {},
    cifar100_transformer: {},
    qnli_transformer: { '0.1': { backprop: 0.5012, 'cf-finetune': 0.5129 } },
    wikitext2_next_token_transformer: { '0.1': { backprop: 6.3247, 'cf-finetune': 6.1502 } },
  },
} as const;

export type ReferenceScenario = (typeof SCENARIOS)[number];
