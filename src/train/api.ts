// The train floor's contract with the benchmark and the CLI: what a run takes and what it returns.
// Implementations live beside this file and are re-exported from ./index.ts.
import type { MlpEncoderState, TransformerEncoderState } from '../closedform/index.ts';
import type { Tensor } from '../torch/index.ts';
import type { StepLog } from './log.ts';

/**
 * How a scenario's closed-form encoder is fitted: the seed of its views and subset, the encoder's shape and λ
 * (REFERENCE.closedForm[architecture] are the reference's), and the rows its statistics are taken over.
 */
export interface FitOptions {
  seed: number;
  depth: number;
  lambda: number;
  /** Transformer only: analytic heads and landmarks per head (rank heads × landmarks). */
  heads?: number;
  landmarks?: number;
  /**
   * Rows of the statistics: all (default, the reference's fit), a count (a subset drawn by the seed; ≥ N is all),
   * or 'auto' (an adaptive size: probeFitRows on the paired views, see src/closedform/fitsize.ts).
   */
  fitRows?: number | 'auto';
  /** 'auto': the probe's tolerance on the relative change of Σ̄ and Δ (default REFERENCE.fitSize.tolerance). */
  tolerance?: number;
}

/** What a fit cost and on how many rows (the FLOPs proxy charges these). */
export interface FitCost {
  /** Wall-clock of the fit, the adaptive probe included. */
  fitSeconds: number;
  /** Rows the statistics were taken over (N for a full fit). */
  fitRows: number;
  /** Rows the adaptive probe accumulated (0 unless fitRows was 'auto'). */
  probeRows: number;
}

/** A fitted closed-form encoder for one scenario (and seed, data fraction and fit size). */
export type ClosedFormFit =
  | ({ kind: 'mlp'; state: MlpEncoderState } & FitCost)
  | ({ kind: 'transformer'; state: TransformerEncoderState } & FitCost);

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
  /** Seconds so far: the start (charged fit or initializer) + feature extraction + training steps; never evaluation or loading. */
  wallClockSec: number;
  /** FLOPs-proxy MACs so far (forward only), the start's included. */
  computeProxy: number;
  metrics: EvalMetrics;
}

/** A stage of a command, reported when it ends with its seconds (the CLI prints one line for those over a second). */
export type Phase = 'loading' | 'fitting' | 'extracting' | 'evaluating';
/** `what`: the object of the phase, e.g. 'the closed-form encoder on 400 rows', 'checkpoint 25%'. */
export type PhaseListener = (phase: Phase, seconds: number, what: string) => void;

export interface RunOptions {
  seed: number;
  /** Step budget; default: the model's own (registry: compute-matched for finetune, 24 CE epochs, 0 for analytic). */
  steps?: number;
  /** Steps at which to evaluate on the whole test set; the final step is always evaluated. */
  checkpointSteps?: number[];
  /** Or fractions of the step budget to evaluate at (checkpointStepsFor), when steps are known only after init. */
  checkpointFractions?: readonly number[];
  /** The closed-form fit, for models that use one (registry `usesFit`); fitted with fitOptions when absent. */
  fit?: ClosedFormFit;
  /** How to fit when no fit is given (e.g. `{ seed, ...REFERENCE.closedForm[scenario.architecture] }`). */
  fitOptions?: FitOptions;
  /** Whether the fit's seconds count in wallClockSec (default true, as the reference charges it). */
  chargeFit?: boolean;
  /** head / analytic models: precomputed features (their `seconds` are charged); extracted when absent. */
  features?: Features;
  /** Override of the head seed base (transfer re-seeds heads); default seed + the model's REFERENCE offset. */
  headSeed?: number;
  /** Raw test inputs of shifted variants (OOD), each evaluated once with the final model. */
  extraEval?: Record<string, Tensor>;
  /** Where each step's loss, lr and seconds and each evaluation go (a RunLog writes JSONL and CSV). */
  log?: StepLog;
  onProgress?: (step: number, steps: number, loss: number) => void;
  /** Called as the run's own fit, feature extraction and each evaluation end. */
  onPhase?: PhaseListener;
  /** Called after each evaluated checkpoint (the init row included). */
  onCheckpoint?: (checkpoint: CheckpointRecord) => void;
  /**
   * Called once with the final model's tensors (state-dict names; a frozen encoder under `encoder.` in the
   * fine-tuned model's layout, see layout.ts)
   * and scalar extras (cf-ridge: its temperature), before they are released: save them here.
   */
  onWeights?: (weights: Record<string, Tensor>, scalars: Record<string, number>) => void;
}

export interface RunRecord {
  scenario: string;
  model: string;
  seed: number;
  stepsTotal: number;
  trainableParams: number;
  totalParams: number;
  /** The evaluated checkpoints in step order (an 'init' row first for a start other than the default). */
  checkpoints: CheckpointRecord[];
  /** Metrics of the final model on each extraEval variant. */
  extra: Record<string, EvalMetrics>;
  /** initSec: the start (a charged closed-form fit, or the initializer's own seconds). */
  timing: { initSec: number; featureSec: number; trainSec: number; evalSec: number };
  /** The start's FLOPs-proxy MACs (0 for the default initialisation). */
  initComputeProxy: number;
  /** The closed-form fit's rows (null for a model that uses none). */
  fit: FitCost | null;
  finalLoss: number | null;
  /** The full resolved configuration (hyperparameters, shapes, seeds) and the environment. */
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
}
