// Basic layers with PyTorch's parameter layout and default initialisation.
import { F, ones, zeros, type DType, type Generator, type Tensor } from '../torch/index.ts';
import { Module } from './module.ts';
import { linearDefaultBound, normal, uniform } from './init.ts';

export interface LayerOptions {
  dtype?: DType;
  generator?: Generator;
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
    const bound = linearDefaultBound(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      uniform([outFeatures, inFeatures], -bound, bound, options.generator, options.dtype),
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', uniform([outFeatures], -bound, bound, options.generator, options.dtype));
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

/** Layer norm over the last dim; affine (weight 1, bias 0) unless elementwiseAffine is false. */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(
    readonly dim: number,
    options: { eps?: number; elementwiseAffine?: boolean; dtype?: DType } = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones([dim], { dtype: options.dtype })) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([dim], { dtype: options.dtype })) : null;
  }
  readonly eps: number;

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
    this.weight = this.registerParameter(
      'weight',
      normal([numEmbeddings, embeddingDim], 0, 1, options.generator, options.dtype),
    );
  }

  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices);
  }
}
