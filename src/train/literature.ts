// The initializers of the literature, each applied in place to the scenario's backprop network (BackpropMlp on
// the MLP scenario, BaselineTransformer on the transformer ones) after its default draw, so that a closed-form
// start is measured against the cheap, well-known alternatives on the same network, budget and clock. Every draw
// comes from Generator(seed + seedOffsets.initializer): the network's default draw and the batch order stay
// backprop's. Each returns its FLOPs-proxy MACs (the proxy counts multiply-accumulates; decompositions at their
// textbook operation counts) and its wall-clock seconds.
import type { Scenario } from '../data/index.ts';
import { BaselineTransformer, type Linear, init } from '../nn/index.ts';
import { REFERENCE } from '../reference.ts';
import { F, Generator, eye, linalg, noGrad, randn, randperm, tidy, type Tensor } from '../torch/index.ts';
import type { InitContext, InitCost, Initializer } from './initializers.ts';
import { BackpropMlp, poolTokens, type DepthModel } from './models.ts';

/** Orthogonal gain before a ReLU, √2 (Saxe et al. 2014; torch.nn.init.calculate_gain('relu')); 1 elsewhere. */
export const RELU_GAIN = Math.SQRT2;

/** LSUV (Mishkin & Matas 2016, "All you need is a good init", Algorithm 1): Tol_var = 0.1, T_max = 10. */
export const LSUV = { tolerance: 0.1, maxIterations: 10 } as const;

/**
 * Mimetic initialization (Trockman & Kolter 2023, ICML, §3): W_Q·W_Kᵀ ≈ α₁Z₁ + β₁I per head and
 * W_V·W_O ≈ α₂Z₂ − β₂I, Z with N(0, 1/d) entries; α₁ = β₁ = 0.7, α₂ = β₂ = 0.4, the paper's values for its ViTs,
 * used here on every transformer scenario (text included: the paper's LM patterns flip the signs in deeper layers).
 */
export const MIMETIC = { alpha1: 0.7, beta1: 0.7, alpha2: 0.4, beta2: 0.4 } as const;

/**
 * ZCA whitening W = E diag(1/√(λ + ε)) Eᵀ of the inputs' covariance E diag(λ) Eᵀ, ε = 0.01 × the mean eigenvalue:
 * the ε = 0.01 of Coates, Lee & Ng 2011 on unit-variance inputs, relative here so it does not depend on scale
 * (it keeps rank-deficient inputs, e.g. covtype's one-hot groups or layer-normed tokens, finite).
 */
export const ZCA_EPSILON = 0.01;

/** Rows encoded at once while accumulating ZCA's statistics. */
const ZCA_CHUNK_ROWS = 1024;

/** MACs per n³ of a dense n×n decomposition (Golub & Van Loan): SVD with U, V 21n³ flops; eigh with vectors 9n³. */
const SVD_MACS = 10.5;
const EIGH_MACS = 4.5;

/** Householder QR of an m×n Gaussian (m ≥ n) and its thin Q: 2·(2mn² − ⅔n³) flops, half as many MACs. */
function qrMacs(rows: number, cols: number): number {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  return 2 * m * n * n - (2 / 3) * n ** 3;
}

/** Runs an initialisation in a tensor scope (its views and temporaries released) and times it. */
const timed = (fn: () => number): InitCost => {
  const started = performance.now();
  const macs = tidy(fn);
  return { macs: Math.round(macs), seconds: (performance.now() - started) / 1000 };
};

const drawStream = (ctx: InitContext): Generator => new Generator(ctx.seed + REFERENCE.seedOffsets.initializer);

/** One linear map of the network: its weight (out, in) (a view of the parameter) and whether a ReLU follows. */
export interface WeightMap {
  name: string;
  weight: Tensor;
  relu: boolean;
}

/** The MLP's maps in forward order: the hidden layers (ReLU after each), then the head. */
export function mlpMaps(net: BackpropMlp): WeightMap[] {
  return [
    ...net.hidden.map((l, i) => ({ name: `hidden.${i}`, weight: l.weight, relu: true })),
    { name: 'head', weight: net.head.weight, relu: false },
  ];
}

/** The transformer's maps in forward order: per block W_Q, W_K, W_V (rows of in_proj), W_O, FFN 1, FFN 2, head. */
export function transformerMaps(net: BaselineTransformer): WeightMap[] {
  const d = net.config.tokenDim;
  return net.blocks.flatMap((b, i) => [
    ...['q', 'k', 'v'].map((p, j) => ({
      name: `blocks.${i}.self_attn.${p}`,
      weight: b.self_attn.in_proj_weight.narrow(0, j * d, d),
      relu: false,
    })),
    { name: `blocks.${i}.self_attn.out_proj`, weight: b.self_attn.out_proj.weight, relu: false },
    { name: `blocks.${i}.linear1`, weight: b.linear1.weight, relu: false }, // GELU: no gain of its own in torch
    { name: `blocks.${i}.linear2`, weight: b.linear2.weight, relu: false },
    { name: `output_heads.${i}`, weight: net.output_heads[i]!.weight, relu: false },
  ]);
}

function backpropMaps(model: DepthModel, who: string): WeightMap[] {
  if (model instanceof BackpropMlp) return mlpMaps(model);
  if (model instanceof BaselineTransformer) return transformerMaps(model);
  throw new Error(`${who}: the model is not the backprop network (BackpropMlp or BaselineTransformer)`);
}

function transformerOf(model: DepthModel, who: string): BaselineTransformer {
  if (!(model instanceof BaselineTransformer)) throw new Error(`${who}: the model is not a BaselineTransformer`);
  return model;
}

/** Every map orthogonal (torch.nn.init.orthogonal_), gain √2 before a ReLU; biases as drawn. Returns MACs. */
function orthogonalize(maps: readonly WeightMap[], generator: Generator, gain: (m: WeightMap) => number): number {
  let macs = 0;
  for (const m of maps) {
    init.orthogonal_(m.weight, { gain: gain(m), generator });
    macs += qrMacs(m.weight.size(0), m.weight.size(1));
  }
  return macs;
}

export const orthogonalInit: Initializer = {
  init_(model, ctx) {
    return timed(() =>
      orthogonalize(backpropMaps(model, 'orthogonal init'), drawStream(ctx), (m) => (m.relu ? RELU_GAIN : 1)),
    );
  },
};

// ---- LSUV -------------------------------------------------------------------------------------------------

/** LSUV's batch: the first (training batch size) rows of a permutation of the training rows, encoded. (B, …) */
export function lsuvBatch(scenario: Scenario, generator: Generator): Tensor {
  const n = scenario.train.labels.size(0);
  const batch = Math.min(n, (scenario.architecture === 'mlp' ? REFERENCE.mlp : REFERENCE.transformer).batch);
  return tidy(() => {
    const rows = randperm(n, { generator }).narrow(0, 0, batch);
    return scenario.encode(scenario.train.raw.indexSelect(0, rows));
  });
}

/** Per map: the forward passes LSUV took and the output variance its last pass measured. */
export type LsuvTrace = { name: string; passes: number; variance: number }[];

function lsuvMlp(net: BackpropMlp, x: Tensor, trace: LsuvTrace): number {
  const b = x.size(0);
  let macs = 0;
  let h = x; // (B, F)
  const scale = (layer: Linear, name: string, input: Tensor) => {
    const r = init.unitVariance_(layer.weight, () => layer.forward(input), { ...LSUV, where: name });
    trace.push({ name, ...r });
    macs += (r.passes + 1) * b * layer.inFeatures * layer.outFeatures; // the passes, then the carry to the next
  };
  net.hidden.forEach((layer, i) => {
    scale(layer, `hidden.${i}`, h);
    h = layer.forward(h).relu();
  });
  scale(net.head, 'head', h);
  return macs;
}

function lsuvTransformer(net: BaselineTransformer, tokens: Tensor, trace: LsuvTrace): number {
  const { tokenDim: d, numHeads, pooling } = net.config;
  const [b, t] = tokens.shape as [number, number, number];
  let macs = 0;
  let x = tokens; // (B, T, d)
  const scale = (weight: Tensor, name: string, output: () => Tensor, macsPerPass: number) => {
    const r = init.unitVariance_(weight, output, { ...LSUV, where: name });
    trace.push({ name, ...r });
    macs += (r.passes + 1) * macsPerPass;
  };
  net.blocks.forEach((block, i) => {
    const attn = block.self_attn;
    const a = block.norm1.forward(x); // (B, T, d)
    ['q', 'k', 'v'].forEach((p, j) => {
      const w = attn.in_proj_weight.narrow(0, j * d, d);
      const bias = attn.in_proj_bias.narrow(0, j * d, d);
      scale(w, `blocks.${i}.self_attn.${p}`, () => F.linear(a, w, bias), b * t * d * d);
    });
    const context = F.packedAttention(F.linear(a, attn.in_proj_weight, attn.in_proj_bias), numHeads); // (B, T, d)
    macs += b * 2 * t * t * d;
    scale(attn.out_proj.weight, `blocks.${i}.self_attn.out_proj`, () => attn.out_proj.forward(context), b * t * d * d);
    const h = x.add(attn.out_proj.forward(context));
    const f = block.linear1.outFeatures;
    const n2 = block.norm2.forward(h);
    scale(block.linear1.weight, `blocks.${i}.linear1`, () => block.linear1.forward(n2), b * t * d * f);
    const g = block.linear1.forward(n2).gelu(); // (B, T, f)
    scale(block.linear2.weight, `blocks.${i}.linear2`, () => block.linear2.forward(g), b * t * f * d);
    x = h.add(block.linear2.forward(g));
    const head = net.output_heads[i]!;
    const pooled = poolTokens(x, pooling); // (B, d)
    scale(head.weight, `output_heads.${i}`, () => head.forward(pooled), b * d * head.outFeatures);
  });
  return macs;
}

/**
 * LSUV on a backprop network: orthonormal pre-init (gain 1, from `generator`), then map by map in forward order
 * each weight rescaled until its output's variance on `batch` (encoded inputs) is within LSUV.tolerance of 1.
 * `trace` receives each map's passes and final variance. Returns MACs.
 */
export function lsuv_(model: DepthModel, batch: Tensor, generator: Generator, trace: LsuvTrace = []): number {
  const maps = backpropMaps(model, 'LSUV init');
  const macs = orthogonalize(maps, generator, () => 1);
  return (
    macs +
    noGrad(() =>
      tidy(() =>
        model instanceof BackpropMlp
          ? lsuvMlp(model, batch, trace)
          : lsuvTransformer(model as BaselineTransformer, batch, trace),
      ),
    )
  );
}

export const lsuvInit: Initializer = {
  init_(model, ctx) {
    return timed(() => {
      const generator = drawStream(ctx);
      const batch = lsuvBatch(ctx.scenario, generator);
      try {
        return lsuv_(model, batch, generator);
      } finally {
        batch.dispose();
      }
    });
  },
};

// ---- mimetic ----------------------------------------------------------------------------------------------

/**
 * Mimetic attention in every block: per head h, Mₕ = α₁Z + β₁I (Z ~ N(0, 1/d), d × d) factored by its
 * rank-k truncated SVD into W_Q⁽ʰ⁾ᵀ = U_k√S_k, W_K⁽ʰ⁾ᵀ = V_k√S_k (k = d/H), so q·k = x Mₕ,ₖ x'ᵀ; then
 * M = α₂Z' − β₂I factored in full, W_Vᵀ = U√S, W_Oᵀ = √S Vᵀ, so the value-output path is x ↦ x M.
 * Biases and the FFN as drawn. Returns MACs.
 */
export function mimetic_(net: BaselineTransformer, generator: Generator): number {
  const { tokenDim: d, numHeads } = net.config;
  const k = d / numHeads;
  const { alpha1, beta1, alpha2, beta2 } = MIMETIC;
  const target = (alpha: number, beta: number) =>
    randn([d, d], { generator, dtype: 'float64' })
      .mul(alpha / Math.sqrt(d))
      .add(eye(d, { dtype: 'float64' }).mul(beta)); // (d, d)
  noGrad(() =>
    tidy(() => {
      for (const block of net.blocks) {
        const w = block.self_attn.in_proj_weight; // (3d, d): W_Q, W_K, W_V stacked
        for (let h = 0; h < numHeads; h++) {
          const { left, right } = init.balancedFactors(target(alpha1, beta1), k); // (d, k) each
          w.narrow(0, h * k, k).copy_(left.t());
          w.narrow(0, d + h * k, k).copy_(right.t());
        }
        const { left, right } = init.balancedFactors(target(alpha2, -beta2), d);
        w.narrow(0, 2 * d, d).copy_(left.t());
        block.self_attn.out_proj.weight.copy_(right);
      }
    }),
  );
  return net.blocks.length * (numHeads + 1) * SVD_MACS * d ** 3;
}

export const mimeticInit: Initializer = {
  init_(model, ctx) {
    const net = transformerOf(model, 'mimetic init');
    return timed(() => mimetic_(net, drawStream(ctx)));
  },
};

// ---- ZCA --------------------------------------------------------------------------------------------------

/** Mean (d) and covariance (d, d), float64, of the rows of `rowsOf(chunk)` over every training row. */
function inputMoments(scenario: Scenario, rowsOf: (encoded: Tensor) => Tensor): { mean: Tensor; cov: Tensor } {
  const n = scenario.train.labels.size(0);
  let sum: Tensor | null = null;
  let gram: Tensor | null = null;
  let count = 0;
  for (let start = 0; start < n; start += ZCA_CHUNK_ROWS) {
    const next = tidy(() => {
      const chunk = scenario.train.raw.narrow(0, start, Math.min(ZCA_CHUNK_ROWS, n - start));
      const x = rowsOf(scenario.encode(chunk)).to('float64'); // (rows, d)
      return { rows: x.size(0), s: sum ? sum.add(x.sum(0)) : x.sum(0), g: gram ? gram.add(x.t().mm(x)) : x.t().mm(x) };
    });
    sum?.dispose();
    gram?.dispose();
    ({ s: sum, g: gram } = next);
    count += next.rows;
  }
  return tidy(() => {
    const mean = sum!.div(count);
    const cov = linalg.sym(gram!.div(count).sub(mean.outer(mean)));
    sum!.dispose();
    gram!.dispose();
    return { mean, cov };
  });
}

/** The ZCA whitening map of a covariance (symmetric (d, d)): E diag(1/√(λ⁺ + ε)) Eᵀ, ε = ZCA_EPSILON · mean λ⁺. */
export function zcaMatrix(cov: Tensor): Tensor {
  return tidy(() => {
    const { eigenvalues, eigenvectors: e } = linalg.eigh(cov);
    const lambda = eigenvalues.clampMin(0);
    const epsilon = ZCA_EPSILON * lambda.mean().item();
    if (!(epsilon > 0))
      throw new Error(`ZCA: the inputs' covariance has no positive eigenvalue (${epsilon / ZCA_EPSILON})`);
    return e.div(lambda.add(epsilon).sqrt().unsqueeze(0)).mm(e.t());
  });
}

/**
 * ZCA as the first layer. MLP: the first min(width, features) units of the bias-free first layer are the ZCA map
 * of the training inputs (z-scored, so centred, on those rows), the other units as drawn. Transformer (no input
 * map): the first block's W_Q, W_K and W_V are each the ZCA map of its layer-normed input tokens, with biases
 * −W μ, so each head reads centred whitened coordinates. The rest as drawn. Returns MACs.
 */
export function zca_(model: DepthModel, scenario: Scenario): number {
  const n = scenario.train.labels.size(0);
  if (model instanceof BackpropMlp) {
    const first = model.hidden[0]!;
    const d = first.inFeatures;
    const { mean, cov } = inputMoments(scenario, (x) => x);
    noGrad(() =>
      tidy(() => {
        const w = zcaMatrix(cov); // (d, d)
        const units = Math.min(first.outFeatures, d);
        first.weight.narrow(0, 0, units).copy_(w.narrow(0, 0, units));
      }),
    );
    mean.dispose();
    cov.dispose();
    return n * d * d + (EIGH_MACS + 1) * d ** 3;
  }
  const net = transformerOf(model, 'ZCA init');
  const block = net.blocks[0]!;
  const d = net.config.tokenDim;
  const { mean, cov } = inputMoments(scenario, (x) => block.norm1.forward(x).reshape([-1, d]));
  noGrad(() =>
    tidy(() => {
      const w = zcaMatrix(cov); // (d, d)
      const bias = w.mm(mean.unsqueeze(1)).squeeze(1).neg(); // (d)
      for (let j = 0; j < 3; j++) {
        block.self_attn.in_proj_weight.narrow(0, j * d, d).copy_(w);
        block.self_attn.in_proj_bias.narrow(0, j * d, d).copy_(bias);
      }
    }),
  );
  mean.dispose();
  cov.dispose();
  const tokens = scenario.inputShape[0]!;
  return n * tokens * d * d + (EIGH_MACS + 1) * d ** 3;
}

export const zcaInit: Initializer = {
  init_(model, ctx) {
    return timed(() => zca_(model, ctx.scenario));
  },
};

// ---- zero-residual ----------------------------------------------------------------------------------------

/**
 * Every residual branch's last projection zero, weight and bias: attention's W_O and the FFN's second layer
 * (the Fixup / SkipInit / ReZero family: Zhang, Dauphin & Ma 2019; De & Smith 2020; Bachlechner et al. 2020).
 * Every block is then the identity on the residual stream. No MACs.
 */
export function zeroResidual_(net: BaselineTransformer): number {
  for (const block of net.blocks) {
    for (const layer of [block.self_attn.out_proj, block.linear2]) {
      init.zeros_(layer.weight);
      init.zeros_(layer.bias!);
    }
  }
  return 0;
}

export const zeroResidualInit: Initializer = {
  init_(model) {
    const net = transformerOf(model, 'zero-residual init');
    return timed(() => zeroResidual_(net));
  },
};
