// The benchmark's results.json: one object of tables (arrays of flat rows) plus run metadata. Field names
// follow the reference benchmark (snake_case). The report floor reads only this shape.
export type PrimaryMetric = 'accuracy' | 'validation_cross_entropy';
/** A scenario registry name. */
type ScenarioName = string;
/** A model registry name. */
type ModelName = string;
/** Fraction of the rows the closed-form fit used (1: all, the reference's; 'auto': the adaptive size). */
export type FitFraction = number | 'auto';

/** What identifies a model's series: its registry name and the fit fraction of its start. */
export interface SeriesKey {
  model: ModelName;
  fit_fraction: FitFraction;
}

/** What every measured row carries. */
export interface RowKey extends SeriesKey {
  scenario: ScenarioName;
  /** covtype | cifar100 | qnli | wikitext2 | the user's data */
  dataset: string;
  architecture: 'mlp' | 'transformer';
  seed: number;
  /** Fraction of the training rows used (1 = full data). */
  data_fraction: number;
}

export interface Metrics {
  /** The scenario's primary metric name and value (accuracy: higher is better; cross-entropy: lower). */
  metric_name: PrimaryMetric;
  metric_value: number;
  accuracy: number;
  /** Mean negative log-likelihood (= cross-entropy) in nats. */
  nll: number;
  /** Expected calibration error, 15 equal-width bins. */
  ece: number;
  /** exp(min(CE, 30)) for next-token scenarios, else null. */
  perplexity: number | null;
}

/** One evaluated checkpoint of one run (anytime, low-data). */
export interface CheckpointRow extends RowKey, Metrics {
  /** Fraction of the model's own step budget at this checkpoint (0 for the `init` row). */
  budget_fraction: number;
  /** `init`, or round-half-even(step / steps·100) + '%'. */
  checkpoint_label: string;
  step: number;
  steps_total: number;
  /** Multiply-accumulates (forward only) spent so far, closed-form fit included. */
  total_compute_proxy: number;
  /** Seconds spent so far: fit (where charged) + feature extraction + training; excludes evaluation and loading. */
  wall_clock_sec: number;
  trainable_params: number;
  total_params: number;
  /** What the start cost: seconds (a charged fit or the initializer) and MACs (0 for the default start). */
  init_sec: number;
  init_compute_proxy: number;
  /** Rows the closed-form fit's statistics used (null: the model reads no fit). */
  fit_rows: number | null;
}

export interface SummaryStats {
  mean: number;
  std: number;
  ci95: number;
  n: number;
}

/** anytime_summary / low_data_summary: per (scenario, model, data_fraction, checkpoint_label), over seeds. */
export interface CheckpointSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  data_fraction: number;
  checkpoint_label: string;
  budget_fraction: number;
  metric_name: PrimaryMetric;
  metric: SummaryStats;
  total_compute_proxy: SummaryStats;
  wall_clock_sec: SummaryStats;
}

export interface TargetRow {
  scenario: ScenarioName;
  metric_name: PrimaryMetric;
  /** mean backprop final × 0.95 (accuracy) or × 1.05 (cross-entropy). */
  target: number;
  backprop_final_mean: number;
}

export interface ComputeToTargetDetail extends RowKey {
  reached: boolean;
  checkpoint_label: string | null;
  total_compute_proxy: number | null;
  wall_clock_sec: number | null;
  budget_fraction: number | null;
}

export interface ComputeToTargetSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  reach_rate: number;
  seeds: number;
  /** Over the seeds that reached the target (null when none did). */
  total_compute_proxy_mean: number | null;
  wall_clock_sec_mean: number | null;
  budget_fraction_mean: number | null;
  /** This model's mean wall-clock to target / backprop's (null when either never reached it). */
  wall_clock_ratio_to_backprop: number | null;
  compute_ratio_to_backprop: number | null;
}

/** matched_summary: final checkpoints at full data, per (scenario, model), over seeds. */
export interface MatchedSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  metric_name: PrimaryMetric;
  metric: SummaryStats;
  accuracy: SummaryStats;
  nll: SummaryStats;
  ece: SummaryStats;
  perplexity: SummaryStats | null;
  total_compute_proxy: SummaryStats;
  wall_clock_sec: SummaryStats;
  trainable_params: number;
  total_params: number;
  /** The reference's published value for this (scenario, model), or null (cf-ridge). */
  published: number | null;
}

/** seed_summary: spread of the final metric over seeds per (scenario, model). */
export interface SeedSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  metric_name: PrimaryMetric;
  values: { seed: number; metric_value: number }[];
  min: number;
  max: number;
  range: number;
  std: number;
}

export interface OodRow extends RowKey, Metrics {
  variant: string;
  in_distribution_value: number;
  delta: number;
}

export interface OodSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  variant: string;
  metric_name: PrimaryMetric;
  metric: SummaryStats;
  in_distribution: SummaryStats;
  delta: SummaryStats;
}

/** low_data_summary rows are CheckpointSummary rows with data_fraction < 1. */
export type LowDataSummary = CheckpointSummary;

export interface TransferRow extends RowKey, Metrics {
  total_compute_proxy: number;
  wall_clock_sec: number;
}

/** Per (scenario, model, seed): the mean metric over fractions and the total compute/time (shared cost paid once). */
export interface TransferSeedSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  seed: number;
  metric_name: PrimaryMetric;
  mean_metric: number;
  total_compute_proxy: number;
  total_wall_clock_sec: number;
}

export interface TransferSummary {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  metric_name: PrimaryMetric;
  mean_metric: SummaryStats;
  total_compute_proxy: SummaryStats;
  total_wall_clock_sec: SummaryStats;
}

/** pareto_rows: mean (over seeds) points of the anytime curves; pareto_front: the kept ones. */
export interface ParetoRow {
  scenario: ScenarioName;
  model: ModelName;
  fit_fraction: FitFraction;
  checkpoint_label: string;
  /** 'compute' (x = mean total_compute_proxy) or 'wall_clock' (x = mean wall_clock_sec). */
  axis: 'compute' | 'wall_clock';
  x: number;
  metric_name: PrimaryMetric;
  metric_mean: number;
  seeds: number;
}

export interface RunMetadata {
  seeds: number[];
  scenarios: ScenarioName[];
  models: ModelName[];
  regimes: string[];
  fractions: { anytime: number[]; low_data: number[]; low_data_checkpoints: number[]; transfer: number[] };
  quick: boolean;
  versions: { cfinit: string; libtorch: string; node: string };
  machine: { cpu: string; cores: number; memory_gb: number; platform: string };
  threads: number;
  runtime_sec: number;
  started_at: string;
  jobs: number;
  fit_fractions: FitFraction[];
  /** Format-1 job files merged (with --allow-mixed): written before job files carried their identity. */
  jobs_without_identity?: number;
}

/** fit_sizes: per (scenario, seed, data fraction, fit fraction) the rows the fit used and its seconds. */
export interface FitSizeRow {
  scenario: ScenarioName;
  seed: number;
  data_fraction: number;
  fit_fraction: FitFraction;
  /** Training rows available, and the rows the statistics used (for 'auto', where the probe stopped). */
  n_train: number;
  fit_rows: number;
  /** fit_rows / n_train */
  used_fraction: number;
  /** Seconds of the fit (probe included), as charged to the anytime/low-data runs. */
  fit_sec: number;
}

export interface Results {
  anytime_rows: CheckpointRow[];
  anytime_summary: CheckpointSummary[];
  targets: TargetRow[];
  compute_to_target_detail: ComputeToTargetDetail[];
  compute_to_target_summary: ComputeToTargetSummary[];
  matched_summary: MatchedSummary[];
  seed_summary: SeedSummary[];
  ood_rows: OodRow[];
  ood_summary: OodSummary[];
  low_data_rows: CheckpointRow[];
  low_data_summary: LowDataSummary[];
  transfer_rows: TransferRow[];
  transfer_seed_summary: TransferSeedSummary[];
  transfer_summary: TransferSummary[];
  pareto_rows: ParetoRow[];
  pareto_front: ParetoRow[];
  fit_sizes: FitSizeRow[];
  metadata: RunMetadata;
}
