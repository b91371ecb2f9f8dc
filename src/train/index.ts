// cfinit's train floor: the four model classes, the trainer and the metrics (contract in api.ts).
export type { CheckpointRecord, ClosedFormFit, EvalMetrics, Features, RunOptions, RunRecord } from './api.ts';
export {
  RunFileError,
  TORCH_EXPORT_FORMAT,
  TORCH_EXPORT_VERSION,
  exportRun,
  readRun,
  serializeTorchExport,
  torchExport,
  type RunFiles,
  type RunSummary,
  type TorchExport,
} from './export.ts';
export { disposeFit, encodeFeatures, extractFeatures, fitClosedForm } from './fit.ts';
export { encoderTensors } from './layout.ts';
export {
  ECE_BINS,
  PERPLEXITY_CE_CAP,
  accuracy,
  checkpointLabel,
  checkpointStepsFor,
  ece,
  evaluateLogits,
  nll,
  perplexity,
} from './metrics.ts';
export {
  BackpropMlp,
  ClosedFormAttention,
  ClosedFormBlock,
  ClosedFormMlp,
  ClosedFormTransformer,
  FeatureHead,
  backpropTransformer,
  depthLoss,
  encoderParamCount,
  initClosedFormMlp,
  initClosedFormTransformer,
  poolTokens,
  type ClosedFormTransformerShape,
  type DepthModel,
} from './models.ts';
export {
  MAX_TEMPERATURE,
  fitReadouts,
  fitRidgeClassifier,
  fitTemperature,
  readoutInputs,
  readoutLogits,
  type RidgeReadout,
} from './ridge.ts';
export { defaultSteps, environment, optimisationOf, runModel } from './run.ts';
