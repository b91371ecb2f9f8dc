// cfinit's train floor: the model registry (architecture × initializer × protocol), the networks, the trainer,
// the FLOPs proxy and the metrics (contract in api.ts).
export type {
  CheckpointRecord,
  ClosedFormFit,
  EvalMetrics,
  Features,
  FitCost,
  FitOptions,
  Phase,
  PhaseListener,
  RunOptions,
  RunRecord,
} from './api.ts';
export { disposeFit, encodeFeatures, extractFeatures, fitClosedForm, fitRowsOf } from './fit.ts';
export { codeDigest, loadFeatures, loadFit, saveFeatures, saveFit } from './fitstore.ts';
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
export { encoderTensors } from './layout.ts';
export { RunLog, type StepLog } from './log.ts';
export { gitState, type GitState } from './provenance.ts';
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
  INITIALIZERS,
  closedFormMlpInit,
  closedFormTransformerInit,
  fitMacs,
  initializerEntry,
  type InitContext,
  type InitCost,
  type Initializer,
  type InitializerEntry,
} from './initializers.ts';
export {
  LSUV,
  MIMETIC,
  RELU_GAIN,
  ZCA_EPSILON,
  lsuvBatch,
  lsuvInit,
  lsuv_,
  mimeticInit,
  mimetic_,
  mlpMaps,
  orthogonalInit,
  transformerMaps,
  zcaInit,
  zcaMatrix,
  zca_,
  zeroResidualInit,
  zeroResidual_,
  type LsuvTrace,
  type WeightMap,
} from './literature.ts';
export {
  BASELINE_MODEL,
  DEFAULT_MODELS,
  MODELS,
  MODEL_NAMES,
  appliesTo,
  buildNetwork,
  fitFractionText,
  seriesLabel,
  headSeedOf,
  initializerFor,
  modelSpec,
  optimisationOf,
  type Architecture,
  type ModelName,
  type ModelSpec,
  type Optimisation,
  type Protocol,
} from './registry.ts';
export {
  backpropCompute,
  backpropStepsAfter,
  budgets,
  fineTuneCompute,
  proxyInputOf,
  type Budgets,
  type ClosedFormShape,
  type ProxyInput,
} from './proxy.ts';
export {
  MAX_TEMPERATURE,
  fitReadouts,
  fitRidgeClassifier,
  fitTemperature,
  readoutInputs,
  readoutLogits,
  type RidgeReadout,
} from './ridge.ts';
export { BudgetSpentError, environment, runBudgets, runModel, stepsFor } from './run.ts';
export { warmUp } from './warmup.ts';
