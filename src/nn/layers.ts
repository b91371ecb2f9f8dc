// Basic layers with PyTorch's parameter layout and default initialisation. Each allocates its parameters, then
// fills them in place with resetParameters (as PyTorch's reset_parameters); `init: false` leaves them zero for a
// parent or an initializer to fill.
import { F, zeros, type DType, type Generator, type Tensor } from '../torch/index.ts';
import { Module } from './module.ts';
import { linearDefaultBound, normal_, ones_, uniform_, zeros_ } from './init.ts';

export interface LayerOptions {
  dtype?: DType;
  generator?: Generator;
  /** false: allocate zero-filled and draw nothing (the caller initialises in place). Default true. */
  init?: boolean;
}

/** y = x Wᵀ + b, W of shape (out, in). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    const dtype = options.dtype;
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias === false ? null : this.registerParameter('bias', zeros([outFeatures], { dtype }));
    if (options.init !== false) this.resetParameters(options.generator);
  }

  /** PyTorch's default: W then b from U(±1/√in) (kaiming_uniform with a = √5, in draw order). */
  override resetParameters(generator?: Generator): void {
    const bound = linearDefaultBound(this.inFeatures);
    uniform_(this.weight, -bound, bound, generator);
    if (this.bias) uniform_(this.bias, -bound, bound, generator);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/** Layer norm over the last dim; affine (weight 1, bias 0) unless elementwiseAffine is false. */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: { eps?: number; elementwiseAffine?: boolean; dtype?: DType } = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', zeros([dim], { dtype: options.dtype })) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([dim], { dtype: options.dtype })) : null;
    this.resetParameters();
  }

  override resetParameters(): void {
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

/** A lookup table initialised N(0, 1), like nn.Embedding. */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: LayerOptions = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { dtype: options.dtype }));
    if (options.init !== false) this.resetParameters(options.generator);
  }

  override resetParameters(generator?: Generator): void {
    normal_(this.weight, 0, 1, generator);
  }

  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices);
  }
}
