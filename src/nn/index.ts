export { Module } from './module.ts';
export { Linear, LayerNorm, Embedding, type LayerOptions } from './layers.ts';
export { AdamW, SGD, type Optimizer, type AdamWOptions, type SGDOptions } from './optim.ts';
export * as init from './init.ts';
export {
  BaselineTransformer,
  EncoderLayer,
  SelfAttention,
  baselineConfig,
  type TransformerConfig,
  type Pooling,
} from './transformer.ts';
export { trainStep } from './train.ts';
