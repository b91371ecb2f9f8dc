// How the report names and colours things: one label and one colour per model, one title per scenario, one axis
// title per metric. Display strings only; the values they describe live in src/reference.ts.
import { REFERENCE_SCENARIOS, scenarioEntry } from '../data/index.ts';
import type { FitFraction, PrimaryMetric, Results } from '../bench/results.ts';
import { MODELS, seriesLabel } from '../train/index.ts';

/**
 * The report keys every series by one string: the model's registry name, with `@<fit fraction>` when the
 * closed-form fit used a fraction of the rows (e.g. `cf-ce-head@0.0625`); labels and colours follow from it.
 */
export function seriesKey(r: { model: string; fit_fraction?: FitFraction }): string {
  return r.fit_fraction === undefined || r.fit_fraction === 1 ? r.model : `${r.model}@${r.fit_fraction}`;
}

function parseSeries(key: string): { model: string; fit: FitFraction } {
  const at = key.indexOf('@');
  if (at < 0) return { model: key, fit: 1 };
  const fit = key.slice(at + 1);
  return { model: key.slice(0, at), fit: fit === 'auto' ? 'auto' : Number(fit) };
}

/** Results with every row's `model` replaced by its series key (what the figures and tables group by). */
export function bySeries(results: Results): Results {
  const out: Record<string, unknown> = {};
  for (const [table, rows] of Object.entries(results)) {
    out[table] = Array.isArray(rows)
      ? rows.map((r: { model?: string; fit_fraction?: FitFraction }) =>
          r.model === undefined ? r : { ...r, model: seriesKey(r as { model: string; fit_fraction?: FitFraction }) },
        )
      : rows;
  }
  return out as unknown as Results;
}

/** Display label of a series key: 'CF + CE head (fit 1/16)'. */
export function modelLabel(key: string): string {
  const { model, fit } = parseSeries(key);
  return seriesLabel(model, fit);
}

/** #rrggbb mixed with white by t ∈ [0, 1]. */
function tint(hex: string, t: number): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `#${c
    .map((v) =>
      Math.round(v + (255 - v) * t)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** The model's fixed registry colour; a fit-fraction variant a lighter tint of it (auto lighter still). */
export function modelColor(key: string): string {
  const { model, fit } = parseSeries(key);
  const base = MODELS.find((m) => m.name === model)?.colour ?? '#7f7f7f';
  return fit === 1 ? base : tint(base, fit === 'auto' ? 0.6 : 0.4);
}

/** Sort rank of a series key: registry order, then the full fit before fractions (largest first), auto last. */
export function modelRank(key: string): number {
  const { model, fit } = parseSeries(key);
  const i = MODELS.findIndex((m) => m.name === model);
  return (
    (i < 0 ? MODELS.length : i) * 10 +
    (fit === 1 ? 0 : fit === 'auto' ? 9 : Math.min(8, 1 + Math.round(-Math.log2(fit) / 2)))
  );
}

/** Display title of a scenario (its registry title). */
export function scenarioTitle(name: string): string {
  try {
    return scenarioEntry(name).title;
  } catch {
    return name;
  }
}

/** Scenario order: the reference's four first, in their order, then the rest by name. */
export function scenarioRank(name: string): number {
  const i = REFERENCE_SCENARIOS.findIndex((e) => e.name === name);
  return i < 0 ? REFERENCE_SCENARIOS.length : i;
}

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

/** Series order and colours as a Vega-Lite colour scale over the series that appear. */
export function modelColorScale(models: readonly string[]): { domain: string[]; range: string[] } {
  const present = [...models].sort((a, b) => modelRank(a) - modelRank(b));
  return { domain: present.map(modelLabel), range: present.map(modelColor) };
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
