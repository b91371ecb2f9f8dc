// cfinit's tensor library: PyTorch-shaped TypeScript over libtorch.
import './threads.ts';

export { Tensor, type TensorOrScalar } from './tensor.ts';
export type { DType, TypedArray } from './dtype.ts';
export { isFloating } from './dtype.ts';
export * from './creation.ts';
export { Generator, manualSeed } from './random.ts';
export { noGrad, enableGrad, isGradEnabled, backward } from './autograd.ts';
export { tidy, keep, dispose } from './scope.ts';
export { setNumThreads, getNumThreads } from './threads.ts';
export { op, opInPlace, callOp, schemaOf } from './dispatch.ts';
export * as linalg from './linalg.ts';
export * as F from './functional.ts';
export * as fused from './fused.ts';
export {
  saveSafetensors,
  saveSafetensorsSync,
  loadSafetensors,
  serialize,
  deserialize,
  SafetensorsError,
} from './safetensors.ts';
export type { TensorMap, Metadata } from './safetensors.ts';
export { addonPath, native } from './native.ts';
export { adamwStep } from './optim-kernels.ts';
export { liveTensors, releaseFreeMemory, versions, parallelInfo } from './diagnostics.ts';
