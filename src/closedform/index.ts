// Closed-form encoders: the shrinkage layer, the MLP encoder and the spectral transformer encoder.
export { PairedStatsAccumulator, pairedStats, subsetRows, type PairedStats } from './stats.ts';
export {
  EIGEN_FLOOR,
  fitLayer,
  fitLayerFromStats,
  psdSqrtAndInvSqrt,
  shrinkageGains,
  whitenedDelta,
  type LayerFit,
} from './layer.ts';
export {
  VARIANCE_FLOOR,
  applyMlpEncoder,
  fitMlpEncoder,
  jointNormalize,
  keepMlpState,
  type MlpEncoderState,
  type MlpStreams,
  type Normalizer,
} from './mlp.ts';
export {
  BLEND_DENOMINATOR_FLOOR,
  BlendAccumulator,
  ROW_NORM_FLOOR,
  RidgeAccumulator,
  attentionCompute,
  attentionContext,
  attentionOutput,
  attentionSublayer,
  blendAlpha,
  ridgeSolve,
  spectralAttentionFit,
  attentionContexts,
  attentionSublayers_,
  disposeAttentionCompute,
  type AttentionCompute,
  type AttentionParams,
  type SpectralFit,
} from './attention.ts';
export {
  DEFAULT_TRANSFORMER_CONFIG,
  applyTransformerEncoder,
  applyTransformerLayer,
  disposeLayerCompute,
  ffnSublayer,
  fitTransformerEncoder,
  layerCompute,
  type ComputeDtype,
  type FitTransformerOptions,
  type LayerCompute,
  type TokenStreams,
  type TransformerEncoderConfig,
  type TransformerEncoderState,
  type TransformerLayerState,
} from './transformer.ts';
export {
  loadMlpEncoder,
  loadTransformerEncoder,
  saveMlpEncoder,
  saveTransformerEncoder,
  statePaths,
  StateFileError,
} from './state.ts';
export { FitInputError } from './validate.ts';
export { probeFitRows, type FitSizeOptions, type FitSizeProbe } from './fitsize.ts';
