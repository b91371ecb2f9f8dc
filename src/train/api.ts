// The train floor's contract with the benchmark and the CLI: what a run takes and what it returns.
// Implementations live beside this file and are re-exported from ./index.ts.
import type { MlpEncoderState, TransformerEncoderState } from '../closedform/index.ts';
import type { ModelName, ReferenceScenario } from '../reference.ts';
import type { Tensor } from '../torch/index.ts';

/** A fitted closed-form encoder for one scenario (and seed, and data fraction). */
export type ClosedFormFit =
  | { kind: 'mlp'; state: MlpEncoderState; fitSeconds: number }
  | { kind: 'transformer'; state: TransformerEncoderState; fitSeconds: number };

/**
 * Frozen-encoder features: the pooled input and pooled output of every layer, concatenated
 * (MLP: 4·54 = 216 dims; transformer: 4d), extracted once without augmentation. `seconds` is the
 * extraction wall-clock (train + test).
 */
export interface Features {
  train: Tensor;
  test: Tensor;
  seconds: number;
}

/** Test-set metrics of one model state. */
export interface EvalMetrics {
  metricName: 'accuracy' | 'validation_cross_entropy';
  /** accuracy, or the mean cross-entropy for next-token scenarios. */
  metricValue: number;
  accuracy: number;
  /** mean negative log-likelihood in nats (log-sum-exp in float64) */
  nll: number;
  /** 15 equal-width bins on the max softmax probability, last bin includes 1.0 */
  ece: number;
  /** exp(min(CE, 30)) for next-token scenarios, else null */
  perplexity: number | null;
}

export interface CheckpointRecord {
  step: number;
  /** 'init' for the step-0 evaluation of a closed-form start, else round-half-even(step/steps·100) + '%'. */
  label: string;
  /** step / stepsTotal (0 for init) */
  budgetFraction: number;
  /** Seconds so far: charged fit + feature extraction + training steps; never evaluation or loading. */
  wallClockSec: number;
  metrics: EvalMetrics;
}

export interface RunOptions {
  seed: number;
  /** Step budget; default: the model's own reference budget (epochs × ceil(N / batch); 0 for cf-ridge). */
  steps?: number;
  /** Steps at which to evaluate on the whole test set; the final step is always evaluated. */
  checkpointSteps?: number[];
  /** Required for the cf-* models; fitted by fitClosedForm when absent. */
  fit?: ClosedFormFit;
  /** Whether the fit's seconds count in wallClockSec (default true, as the reference charges it). */
  chargeFit?: boolean;
  /** cf-ce-head / cf-ridge: precomputed features (their `seconds` are charged); extracted when absent. */
  features?: Features;
  /** Override of the head seed base (transfer re-seeds heads); default seed + the model's REFERENCE offset. */
  headSeed?: number;
  /** Raw test inputs of shifted variants (OOD), each evaluated once with the final model. */
  extraEval?: Record<string, Tensor>;
  onProgress?: (step: number, steps: number, loss: number) => void;
  /**
   * Called once with the final model's tensors (state-dict names; a frozen encoder under `encoder.` in the
   * fine-tuned model's layout, see layout.ts)
   * and scalar extras (cf-ridge: its temperature), before they are released: save them here.
   */
  onWeights?: (weights: Record<string, Tensor>, scalars: Record<string, number>) => void;
}

export interface RunRecord {
  scenario: ReferenceScenario;
  model: ModelName;
  seed: number;
  stepsTotal: number;
  trainableParams: number;
  totalParams: number;
  /** The evaluated checkpoints in step order (an 'init' row first for closed-form starts). */
  checkpoints: CheckpointRecord[];
  /** Metrics of the final model on each extraEval variant. */
  extra: Record<string, EvalMetrics>;
  timing: { fitSec: number; featureSec: number; trainSec: number; evalSec: number };
  finalLoss: number | null;
  /** The full resolved configuration (hyperparameters, shapes, seeds) and the environment. */
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
}
