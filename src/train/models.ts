// The trainable models of the benchmark. Every model maps its inputs to the cumulative logits after each
// depth (one entry for the plain MLP and the CE head); the loss is the mean of their cross-entropies and
// the prediction is the last entry. Closed-form models are allocated first, then filled in place from a
// fitted encoder state (weights are copied, never shared with the state).
import {
  attentionCompute,
  disposeAttentionCompute,
  ffnSublayer,
  attentionSublayer,
  type MlpEncoderState,
  type TransformerEncoderState,
} from '../closedform/index.ts';
import { BaselineTransformer, Linear, Module, baselineConfig, type Pooling } from '../nn/index.ts';
import { REFERENCE } from '../reference.ts';
import { F, Generator, cat, noGrad, ones, tidy, zeros, type Tensor } from '../torch/index.ts';

/** The interface the trainer needs: depth logits, parameters, and the state to save. */
export interface DepthModel {
  forward(x: Tensor): Tensor[];
  /** Inference without autograd: the last depth's logits (a fast path where a model has one). (B, C) */
  predict?(x: Tensor): Tensor;
  parameters(): Tensor[];
  stateDict(): Record<string, Tensor>;
}

/** (1/L) Σ_ℓ CE(logits_ℓ, y) over the depth logits. */
export function depthLoss(depthLogits: readonly Tensor[], labels: Tensor): Tensor {
  let total = F.crossEntropy(depthLogits[0]!, labels);
  for (let i = 1; i < depthLogits.length; i++) total = total.add(F.crossEntropy(depthLogits[i]!, labels));
  return depthLogits.length === 1 ? total : total.div(depthLogits.length);
}

/** Pooled tokens: mean over T, or the last token. (B, T, d) → (B, d) */
export function poolTokens(h: Tensor, pooling: Pooling): Tensor {
  return pooling === 'mean' ? h.mean(1) : h.select(1, -1);
}

// ---- backprop MLP ---------------------------------------------------------------------------------

/** features → width (×depth, bias-free Linear + ReLU) → Linear(width, C) with bias; PyTorch default init. */
export class BackpropMlp extends Module {
  readonly hidden: Linear[] = [];
  readonly head: Linear;

  constructor(
    features: number,
    classes: number,
    options: { width?: number; depth?: number; generator?: Generator } = {},
  ) {
    super();
    const { width = REFERENCE.mlp.width, depth = REFERENCE.mlp.depth, generator } = options;
    for (let i = 0; i < depth; i++) {
      const layer = new Linear(i === 0 ? features : width, width, { bias: false, init: false });
      this.hidden.push(this.registerModule(`hidden.${i}`, layer));
    }
    this.head = this.registerModule('head', new Linear(width, classes, { init: false }));
    this.resetParameters(generator);
  }

  forward(x: Tensor): Tensor[] {
    let h = x;
    for (const layer of this.hidden) h = layer.forward(h).relu();
    return [this.head.forward(h)];
  }
}

/** The backprop transformer: the reference baseline for the scenario's token shape. */
export function backpropTransformer(
  tokenDim: number,
  classes: number,
  pooling: Pooling,
  generator: Generator,
): BaselineTransformer {
  return new BaselineTransformer(baselineConfig(tokenDim, classes, pooling), { generator });
}

// ---- closed-form MLP ------------------------------------------------------------------------------

/**
 * h = (x − m₀)/s₀; per layer h = ReLU(h·Aₗ) (trainable, weight Aₗᵀ); logits += headₗ(h) before the
 * layer's normalisation; h = (h − mₗ)/sₗ (frozen buffers).
 */
export class ClosedFormMlp extends Module {
  readonly hidden: Linear[] = [];
  readonly heads: Linear[] = [];
  readonly initialMean: Tensor;
  readonly initialScale: Tensor;
  readonly normMeans: Tensor[] = [];
  readonly normScales: Tensor[] = [];

  /** Heads ℓ drawn from Generator(headSeed + ℓ); the rest is allocated zero and filled by initClosedFormMlp. */
  constructor(
    readonly features: number,
    readonly classes: number,
    readonly depth: number,
    headSeed: number,
  ) {
    super();
    this.initialMean = this.registerBuffer('initial_mean', zeros([1, features]));
    this.initialScale = this.registerBuffer('initial_scale', ones([1, features]));
    for (let l = 0; l < depth; l++) {
      const layer = new Linear(features, features, { bias: false, init: false });
      this.hidden.push(this.registerModule(`hidden.${l}`, layer));
      this.normMeans.push(this.registerBuffer(`norm_mean.${l}`, zeros([1, features])));
      this.normScales.push(this.registerBuffer(`norm_scale.${l}`, ones([1, features])));
    }
    for (let l = 0; l < depth; l++) {
      const head = new Linear(features, classes, { bias: false, generator: new Generator(headSeed + l) });
      this.heads.push(this.registerModule(`heads.${l}`, head));
    }
  }

  /** The normalised streams [h₀ … h_L] (each (B, d)) and the cumulative logits after each layer. */
  layers(x: Tensor): { features: Tensor[]; depthLogits: Tensor[] } {
    let h = x.sub(this.initialMean).div(this.initialScale);
    const features = [h];
    const depthLogits: Tensor[] = [];
    for (let l = 0; l < this.depth; l++) {
      const a = this.hidden[l]!.forward(h).relu(); // (B, d) post-ReLU
      const logits = this.heads[l]!.forward(a);
      depthLogits.push(l === 0 ? logits : depthLogits[l - 1]!.add(logits));
      h = a.sub(this.normMeans[l]!).div(this.normScales[l]!);
      features.push(h);
    }
    return { features, depthLogits };
  }

  forward(x: Tensor): Tensor[] {
    return this.layers(x).depthLogits;
  }
}

/** Fills a ClosedFormMlp in place from a fitted state (copies, cast to the model's float32). */
export function initClosedFormMlp(model: ClosedFormMlp, state: MlpEncoderState): ClosedFormMlp {
  if (state.layers.length !== model.depth || state.initial.mean.size(1) !== model.features) {
    throw new Error(
      `initClosedFormMlp: state has ${state.layers.length} layers of width ` +
        `${state.initial.mean.size(1)}, ` +
        `the model ${model.depth} of width ${model.features}`,
    );
  }
  noGrad(() =>
    tidy(() => {
      model.initialMean.copy_(state.initial.mean);
      model.initialScale.copy_(state.initial.scale);
      state.layers.forEach((layer, l) => {
        model.hidden[l]!.weight.copy_(layer.transform.t());
        model.normMeans[l]!.copy_(layer.norm.mean);
        model.normScales[l]!.copy_(layer.norm.scale);
      });
    }),
  );
  return model;
}

// ---- closed-form transformer ----------------------------------------------------------------------

/**
 * Spectral self-attention as a trainable module: q = k = rownorm(X Σ̄^-½ P_h) (floor 1e-8),
 * ctx_h = softmax(q kᵀ/√k) X; out = α X + (1 − α) [ctx_1 | … | ctx_H] W_O with α clamped to [0, 1].
 */
export class ClosedFormAttention extends Module {
  readonly sigma_inv_sqrt: Tensor;
  readonly projection_heads: Tensor;
  readonly output_map: Tensor;
  readonly mix_scale: Tensor;

  constructor(
    readonly dim: number,
    readonly heads: number,
    readonly headDim: number,
  ) {
    super();
    this.sigma_inv_sqrt = this.registerParameter('sigma_inv_sqrt', zeros([dim, dim]));
    this.projection_heads = this.registerParameter('projection_heads', zeros([heads, dim, headDim])); // (H, d, k)
    this.output_map = this.registerParameter('output_map', zeros([heads * dim, dim]));
    this.mix_scale = this.registerParameter('mix_scale', zeros([]));
  }

  forward(x: Tensor): Tensor {
    const scores = x.matmul(this.sigma_inv_sqrt); // (B, T, d)
    const contexts = Array.from({ length: this.heads }, (_, h) => {
      const p = scores.matmul(this.projection_heads.select(0, h)); // (B, T, k)
      const q = p.div(p.norm(2, -1, true).clampMin(1e-8));
      return F.softmax(q.bmm(q.mT()).mul(1 / Math.sqrt(this.headDim)), -1).bmm(x); // (B, T, d)
    });
    const attended = cat(contexts, -1).matmul(this.output_map); // (B, T, d)
    const alpha = this.mix_scale.clamp(0, 1);
    return x.mul(alpha).add(attended.mul(alpha.rsub(1)));
  }
}

/** H = LN(attention(X)); out = LN(H + ReLU(H A_F)); layer norms without affine parameters, eps 1e-5. */
export class ClosedFormBlock extends Module {
  readonly attention: ClosedFormAttention;
  readonly ffn: Linear;

  constructor(dim: number, heads: number, headDim: number) {
    super();
    this.attention = this.registerModule('attention', new ClosedFormAttention(dim, heads, headDim));
    this.ffn = this.registerModule('ffn', new Linear(dim, dim, { bias: false, init: false }));
  }

  forward(x: Tensor): Tensor {
    const h = layerNorm(this.attention.forward(x));
    return layerNorm(h.add(this.ffn.forward(h).relu()));
  }
}

function layerNorm(x: Tensor): Tensor {
  return F.layerNorm(x, [x.size(-1)], null, null, 1e-5);
}

export interface ClosedFormTransformerShape {
  dim: number;
  classes: number;
  depth: number;
  heads: number;
  landmarks: number;
  pooling: Pooling;
}

/**
 * Per block ℓ: logits += headₗ(pool(input of block ℓ)), then the block. As in the reference, the heads read
 * the *input* of each block, so the last block's output never reaches the logits (its parameters get no
 * gradient); kept on purpose to reproduce the reference's numbers.
 */
export class ClosedFormTransformer extends Module {
  readonly blocks: ClosedFormBlock[] = [];
  readonly output_heads: Linear[] = [];

  /** Heads ℓ drawn from Generator(headSeed + ℓ); the blocks are allocated zero and filled by initClosedFormTransformer. */
  constructor(
    readonly shape: ClosedFormTransformerShape,
    headSeed: number,
  ) {
    super();
    const { dim, classes, depth, heads, landmarks } = shape;
    for (let l = 0; l < depth; l++) {
      this.blocks.push(this.registerModule(`blocks.${l}`, new ClosedFormBlock(dim, heads, landmarks)));
    }
    for (let l = 0; l < depth; l++) {
      const head = new Linear(dim, classes, { bias: false, generator: new Generator(headSeed + l) });
      this.output_heads.push(this.registerModule(`output_heads.${l}`, head));
    }
  }

  /** Pooled input and block outputs [p₀ … p_L] (each (B, d)) and the cumulative logits per block. */
  layers(tokens: Tensor): { features: Tensor[]; depthLogits: Tensor[] } {
    let h = tokens;
    const features = [poolTokens(h, this.shape.pooling)];
    const depthLogits: Tensor[] = [];
    for (let l = 0; l < this.blocks.length; l++) {
      const logits = this.output_heads[l]!.forward(features[l]!);
      depthLogits.push(l === 0 ? logits : depthLogits[l - 1]!.add(logits));
      h = this.blocks[l]!.forward(h);
      features.push(poolTokens(h, this.shape.pooling));
    }
    return { features, depthLogits };
  }

  forward(tokens: Tensor): Tensor[] {
    let h = tokens;
    const depthLogits: Tensor[] = [];
    for (let l = 0; l < this.blocks.length; l++) {
      const logits = this.output_heads[l]!.forward(poolTokens(h, this.shape.pooling));
      depthLogits.push(l === 0 ? logits : depthLogits[l - 1]!.add(logits));
      // The last block's output reaches no head: skip computing it.
      if (l < this.blocks.length - 1) h = this.blocks[l]!.forward(h);
    }
    return depthLogits;
  }

  /**
   * The last depth's logits without autograd, the blocks on the closed-form fit's fused kernels (the same
   * function as forward: Σ̄^-½ P_h folded into one query map, α clamped to [0, 1]; equal to float32 rounding,
   * tested). 4x faster than the ATen path at QNLI's shape. (B, C)
   */
  predict(tokens: Tensor): Tensor {
    return noGrad(() =>
      tidy(() => {
        const computes = this.blocks.slice(0, -1).map((b) => ({
          attention: attentionCompute(
            {
              sigmaInvSqrt: b.attention.sigma_inv_sqrt,
              heads: b.attention.projection_heads,
              outputMap: b.attention.output_map,
              alpha: Math.min(1, Math.max(0, b.attention.mix_scale.item())),
            },
            tokens.dtype,
          ),
          ffn: b.ffn.weight.t().contiguous(), // A_F = Wᵀ
        }));
        try {
          let h = tokens;
          let logits: Tensor | null = null;
          for (let l = 0; l < this.blocks.length; l++) {
            const z = this.output_heads[l]!.forward(poolTokens(h, this.shape.pooling));
            logits = logits ? logits.add(z) : z;
            const c = computes[l];
            if (c) h = ffnSublayer(attentionSublayer(h, c.attention), c.ffn);
          }
          return logits!;
        } finally {
          for (const c of computes) disposeAttentionCompute(c.attention);
        }
      }),
    );
  }
}

/** Fills a ClosedFormTransformer in place from a fitted encoder state (copies, cast to float32). */
export function initClosedFormTransformer(
  model: ClosedFormTransformer,
  state: TransformerEncoderState,
): ClosedFormTransformer {
  const { dim, depth, heads, landmarks } = model.shape;
  const { config } = state;
  const same = state.layers.length === depth && state.dims.width === dim;
  if (!same || config.heads !== heads || config.landmarks !== landmarks) {
    throw new Error(
      `initClosedFormTransformer: state (depth ${state.layers.length}, width ${state.dims.width}, ` +
        `${config.heads}×${config.landmarks} heads) does not fit the model ` +
        `(depth ${depth}, width ${dim}, ${heads}×${landmarks})`,
    );
  }
  noGrad(() =>
    tidy(() => {
      state.layers.forEach((layer, l) => {
        const block = model.blocks[l]!;
        block.attention.sigma_inv_sqrt.copy_(layer.attention.sigmaInvSqrt);
        block.attention.projection_heads.copy_(layer.attention.heads);
        block.attention.output_map.copy_(layer.attention.outputMap);
        block.attention.mix_scale.fill_(layer.attention.alpha);
        block.ffn.weight.copy_(layer.ffn.t());
      });
    }),
  );
  return model;
}

/** Parameters of the closed-form encoder itself (what the CE head and ridge models keep frozen). */
export function encoderParamCount(
  fit: { kind: 'mlp'; state: MlpEncoderState } | { kind: 'transformer'; state: TransformerEncoderState },
): number {
  if (fit.kind === 'mlp') return fit.state.layers.reduce((n, l) => n + l.transform.numel(), 0);
  return fit.state.layers.reduce(
    (n, l) =>
      n +
      l.attention.sigmaInvSqrt.numel() +
      l.attention.heads.numel() +
      l.attention.outputMap.numel() +
      1 +
      l.ffn.numel(),
    0,
  );
}

/** A Linear(F, C) head with bias on frozen features, drawn from Generator(seed). */
export class FeatureHead extends Module {
  readonly head: Linear;

  constructor(features: number, classes: number, seed: number) {
    super();
    this.head = this.registerModule('head', new Linear(features, classes, { generator: new Generator(seed) }));
  }

  forward(x: Tensor): Tensor[] {
    return [this.head.forward(x)];
  }
}
