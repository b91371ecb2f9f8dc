// How the report names and colours things: one label and one colour per model, one title per scenario, one axis
// title per metric. Display strings only; the values they describe live in src/reference.ts.
import { MODELS, type ModelName, type ReferenceScenario } from '../reference.ts';
import type { PrimaryMetric } from '../bench/results.ts';

export const MODEL_LABELS: Record<ModelName, string> = {
  backprop: 'backprop',
  'cf-finetune': 'CF + fine-tune',
  'cf-ce-head': 'CF + CE head',
  'cf-ridge': 'closed-form ridge',
};

export const MODEL_COLORS: Record<ModelName, string> = {
  backprop: '#1f77b4',
  'cf-finetune': '#d62728',
  'cf-ce-head': '#2ca02c',
  'cf-ridge': '#9467bd',
};

export const SCENARIO_TITLES: Record<ReferenceScenario, string> = {
  covtype_mlp: 'Covtype / MLP',
  cifar100_transformer: 'CIFAR-100 / Transformer',
  qnli_transformer: 'QNLI / Transformer',
  wikitext2_next_token_transformer: 'WikiText-2 next token / Transformer',
};

/** Higher is better for accuracy, lower for cross-entropy. */
export const lowerIsBetter = (metric: PrimaryMetric): boolean => metric === 'validation_cross_entropy';

/** Axis title (lines) of a primary metric; cross-entropy axes are drawn reversed and say so. */
export function metricTitle(metric: PrimaryMetric, suffix = ''): string[] {
  const name = metric === 'accuracy' ? 'Accuracy (fraction)' : 'Val. cross-entropy (nats)';
  const lines = suffix ? [`${name},`, suffix] : [name];
  return lowerIsBetter(metric) ? [...lines, '↑ reversed: lower is better'] : lines;
}

/** Short metric name for tables and the verdict. */
export const metricShort = (metric: PrimaryMetric): string => (metric === 'accuracy' ? 'accuracy' : 'CE');

export const COMPUTE_TITLE = 'FLOPs proxy (multiply-accumulates)';
export const SECONDS_TITLE = 'Wall-clock (s)';

/** Model order and colours as a Vega-Lite colour scale over the models that appear. */
export function modelColorScale(models: readonly ModelName[]): { domain: string[]; range: string[] } {
  const present = MODELS.filter((m) => models.includes(m));
  return { domain: present.map((m) => MODEL_LABELS[m]), range: present.map((m) => MODEL_COLORS[m]) };
}

/** `digits` significant digits; exponent form outside [1e-3, 1e5) (tables and tooltips). */
export function fmt(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

/** A primary-metric value (accuracy or nats) as the reference reports it: 4 decimals. */
export function fmtMetric(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(4);
}

/** Mean ± 95% CI of a metric; one seed has no CI. */
export const fmtMeanCi = (s: { mean: number; ci95: number; n?: number }): string =>
  s.n !== undefined && s.n < 2 ? `${fmtMetric(s.mean)} (1 seed)` : `${fmtMetric(s.mean)} ± ${fmtMetric(s.ci95)}`;

/** Seconds as `12.3 s` / `4.1 min`. */
export function fmtSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value >= 120 ? `${(value / 60).toFixed(1)} min` : `${value.toPrecision(3)} s`;
}
