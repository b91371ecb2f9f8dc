// The reference baseline transformer: a stack of pre-norm encoder layers with one linear head per
// layer whose logits accumulate down the stack (Axym-Labs/closed-form-initialization,
// TokenTransformerClassifier). It reads token sequences (B, T, d) directly: no input projection,
// no final norm. Parameter names follow the PyTorch state_dict, so weights move between the two
// through safetensors unchanged.
import { F, tidy, zeros, type DType, type Generator, type Tensor } from '../torch/index.ts';
import { Module } from './module.ts';
import { LayerNorm, Linear, type LayerOptions } from './layers.ts';
import { xavierUniform_, zeros_ } from './init.ts';
import { oneOf, positiveInt, positiveNumber } from '../checks.ts';
import { ConfigError } from '../errors.ts';

export type Pooling = 'mean' | 'last';

export interface TransformerConfig {
  /** Token width d (the reference uses the raw token dimension). */
  tokenDim: number;
  numClasses: number;
  /** Number of encoder layers, each with its own output head (reference: 3). */
  depth: number;
  /** Attention heads; must divide tokenDim (reference: 4). */
  numHeads: number;
  /** FFN width = max(floor(tokenDim · mlpRatio), tokenDim) (reference: 2). */
  mlpRatio: number;
  /** 'mean' over tokens for classification, 'last' token for next-token prediction. */
  pooling: Pooling;
  layerNormEps?: number;
  dtype?: DType;
}

/**
 * The configuration of the reference baseline for a given token shape and task: depth 3, FFN 2d,
 * and 4 heads, or the first of 3, 2, 1 that divides tokenDim (the reference's choose_num_heads).
 */
export function baselineConfig(tokenDim: number, numClasses: number, pooling: Pooling): TransformerConfig {
  const numHeads = [4, 3, 2].find((h) => tokenDim % h === 0) ?? 1;
  return { tokenDim, numClasses, depth: 3, numHeads, mlpRatio: 2, pooling };
}

/**
 * Multi-head self-attention with PyTorch's packed layout: in_proj_weight (3d, d) holds Wq, Wk, Wv
 * stacked; out_proj is a Linear. Init as nn.MultiheadAttention: out_proj default Linear draw, then
 * in_proj_weight Xavier-uniform, both biases zero.
 */
export class SelfAttention extends Module {
  readonly in_proj_weight: Tensor;
  readonly in_proj_bias: Tensor;
  readonly out_proj: Linear;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    options: LayerOptions = {},
  ) {
    super();
    if (!Number.isInteger(numHeads) || numHeads < 1 || dim % numHeads !== 0) {
      throw new RangeError(`SelfAttention: numHeads (${numHeads}) must be a positive divisor of tokenDim (${dim})`);
    }
    const dtype = options.dtype ?? 'float32';
    this.in_proj_weight = this.registerParameter('in_proj_weight', zeros([3 * dim, dim], { dtype }));
    this.in_proj_bias = this.registerParameter('in_proj_bias', zeros([3 * dim], { dtype }));
    this.out_proj = this.registerModule('out_proj', new Linear(dim, dim, { dtype, init: false }));
    if (options.init !== false) this.resetParameters(options.generator);
  }

  // PyTorch builds out_proj (drawing its default init) before it draws in_proj_weight.
  override resetParameters(generator?: Generator): void {
    this.out_proj.resetParameters(generator);
    zeros_(this.out_proj.bias!);
    xavierUniform_(this.in_proj_weight, { generator });
    zeros_(this.in_proj_bias);
  }

  // softmax(q kᵀ / √head_dim) v per head, heads concatenated, then out_proj. The attention core reads
  // q, k, v in place from the packed (B, T, 3d) projection (F.packedAttention: one fused autograd node).
  // Each stage is its own tidy scope so that at most a few activation handles are alive at once
  // (see BaselineTransformer.forward); autograd still holds what backward needs.
  forward(x: Tensor): Tensor {
    const context = tidy(() => F.packedAttention(F.linear(x, this.in_proj_weight, this.in_proj_bias), this.numHeads));
    return tidy(() => this.out_proj.forward(context)); // (B, T, d)
  }

  /** forward(x) at the last token only: its query against every token's key and value. (B, 1, d) */
  forwardLast(x: Tensor): Tensor {
    const [d, last] = [this.dim, x.size(1) - 1];
    const context = tidy(() => {
      const w = this.in_proj_weight;
      const b = this.in_proj_bias;
      const q = F.linear(x.narrow(1, last, 1).contiguous(), w.narrow(0, 0, d), b.narrow(0, 0, d)); // (B, 1, d)
      const kv = F.linear(x, w.narrow(0, d, 2 * d), b.narrow(0, d, 2 * d)); // (B, T, 2d)
      return F.lastQueryAttention(q, kv, this.numHeads);
    });
    return tidy(() => this.out_proj.forward(context)); // (B, 1, d)
  }
}

/** nn.TransformerEncoderLayer(norm_first=True, activation='gelu', dropout=0, batch_first=True). */
export class EncoderLayer extends Module {
  readonly self_attn: SelfAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;

  constructor(dim: number, numHeads: number, ffnDim: number, options: LayerOptions & { eps?: number } = {}) {
    super();
    const layer = { dtype: options.dtype, init: false };
    const norm = { eps: options.eps ?? 1e-5, dtype: options.dtype };
    // Registration (and so draw) order is PyTorch's: self_attn, linear1, linear2, norm1, norm2.
    this.self_attn = this.registerModule('self_attn', new SelfAttention(dim, numHeads, layer));
    this.linear1 = this.registerModule('linear1', new Linear(dim, ffnDim, layer));
    this.linear2 = this.registerModule('linear2', new Linear(ffnDim, dim, layer));
    this.norm1 = this.registerModule('norm1', new LayerNorm(dim, norm));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dim, norm));
    if (options.init !== false) this.resetParameters(options.generator);
  }

  // x ← x + attn(LN₁(x)); x ← x + W₂ gelu(W₁ LN₂(x) + b₁) + b₂
  forward(x: Tensor): Tensor {
    const h = tidy(() => x.add(this.self_attn.forward(this.norm1.forward(x))));
    return tidy(() => h.add(this.linear2.forward(this.linear1.forward(this.norm2.forward(h)).gelu())));
  }

  /** forward(x) at the last token only (B, 1, d): all that a last-token head reads of a final block. */
  forwardLast(x: Tensor): Tensor {
    const last = x.size(1) - 1;
    const h = tidy(() => x.narrow(1, last, 1).add(this.self_attn.forwardLast(this.norm1.forward(x))));
    return tidy(() => h.add(this.linear2.forward(this.linear1.forward(this.norm2.forward(h)).gelu())));
  }
}

/**
 * The baseline: blocks.i are encoder layers, output_heads.i linear heads on the pooled tokens
 * after block i. forward returns the cumulative logits after each block (head₀ + … + headᵢ);
 * loss is the mean of their cross-entropies.
 */
export class BaselineTransformer extends Module {
  readonly config: Required<TransformerConfig>;
  readonly blocks: EncoderLayer[] = [];
  readonly output_heads: Linear[] = [];

  constructor(config: TransformerConfig, options: { generator?: Generator; init?: boolean } = {}) {
    super();
    this.config = checkConfig(config);
    const { tokenDim, numClasses, depth, numHeads, mlpRatio, layerNormEps, dtype } = this.config;
    const ffnDim = Math.max(Math.floor(tokenDim * mlpRatio), tokenDim);
    const layer = { dtype, eps: layerNormEps, init: false };
    for (let i = 0; i < depth; i++) {
      this.blocks.push(this.registerModule(`blocks.${i}`, new EncoderLayer(tokenDim, numHeads, ffnDim, layer)));
    }
    for (let i = 0; i < depth; i++) {
      const head = new Linear(tokenDim, numClasses, { dtype, init: false });
      this.output_heads.push(this.registerModule(`output_heads.${i}`, head));
    }
    if (options.init !== false) this.resetParameters(options.generator);
  }

  /**
   * Like the reference (which deep-copies one nn.TransformerEncoderLayer), every block starts from the same
   * weights: block 0 draws, the others copy it; then each head draws.
   */
  override resetParameters(generator?: Generator): void {
    this.blocks[0]!.resetParameters(generator);
    const first = this.blocks[0]!.stateDict();
    for (const block of this.blocks.slice(1)) block.loadStateDict(first);
    for (const head of this.output_heads) head.resetParameters(generator);
  }

  /** Tokens (B, T, d) → the cumulative logits (B, C) after each block, shallowest first. */
  forward(tokens: Tensor): Tensor[] {
    const shape = tokens.shape;
    if (shape.length !== 3 || shape[2] !== this.config.tokenDim) {
      throw new Error(
        `BaselineTransformer: expected tokens of shape (batch, tokens, ${this.config.tokenDim}), got [${shape}]`,
      );
    }
    const depthLogits: Tensor[] = [];
    let hidden = tokens;
    // Blocks (and their sublayers) run in their own tidy scopes: autograd keeps what backward
    // needs natively, and freeing intermediate handles at once keeps the bytes reported to V8
    // low, so a training step does not set off external-memory garbage collections.
    for (let i = 0; i < this.blocks.length; i++) {
      const input = hidden;
      const previous: Tensor | undefined = depthLogits[i - 1];
      // Pooling the last token, the final block's other T − 1 outputs reach nothing: only its last is computed.
      const lastOnly = this.config.pooling === 'last' && i === this.blocks.length - 1;
      const [output, cumulative] = tidy((): [Tensor, Tensor] => {
        const out = lastOnly ? this.blocks[i]!.forwardLast(input) : this.blocks[i]!.forward(input);
        const logits = this.output_heads[i]!.forward(this.pool(out));
        return [out, previous === undefined ? logits : previous.add(logits)];
      });
      hidden = output;
      depthLogits.push(cumulative);
    }
    return depthLogits;
  }

  /** Mean over blocks of the cross-entropy of each block's cumulative logits. */
  loss(tokens: Tensor, targets: Tensor): Tensor {
    const depthLogits = this.forward(tokens);
    let total = F.crossEntropy(depthLogits[0]!, targets);
    for (let i = 1; i < depthLogits.length; i++) total = total.add(F.crossEntropy(depthLogits[i]!, targets));
    return total.div(depthLogits.length);
  }

  private pool(hidden: Tensor): Tensor {
    // The last token is copied out of its (B, T, d) stride: BLAS reads a row stride of T·d floats
    // 3-4x slower than a packed (B, d) in the head's forward and both of its backward products.
    return this.config.pooling === 'mean' ? hidden.mean(1) : hidden.select(1, -1).contiguous();
  }
}

function checkConfig(config: TransformerConfig): Required<TransformerConfig> {
  for (const name of ['tokenDim', 'numClasses', 'depth', 'numHeads'] as const) {
    positiveInt(config[name], `TransformerConfig.${name}`);
  }
  positiveNumber(config.mlpRatio, 'TransformerConfig.mlpRatio');
  oneOf(config.pooling, 'TransformerConfig.pooling', ['mean', 'last'] as const);
  if (config.layerNormEps !== undefined) positiveNumber(config.layerNormEps, 'TransformerConfig.layerNormEps');
  if (config.tokenDim % config.numHeads !== 0) {
    throw new ConfigError(`TransformerConfig.numHeads (${config.numHeads}) must divide tokenDim (${config.tokenDim})`);
  }
  return { ...config, layerNormEps: config.layerNormEps ?? 1e-5, dtype: config.dtype ?? 'float32' };
}
