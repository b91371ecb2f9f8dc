// Flat, display-ready points for the figures: one object per mark with the fields its tooltip shows. Reads the
// benchmark's summary tables only; every aggregate (mean, 95% CI, front) was computed by the benchmark.
import type { CheckpointSummary, PrimaryMetric, Results, SummaryStats } from '../bench/results.ts';
import { byModel, fmt, fmtMeanCi, modelLabel, modelOrder, scenarioRank, scenarioTitle } from './style.ts';

/** One plotted point; `value`/`lo`/`hi` are the mean and its 95% CI band. */
export interface Point {
  scenario: string;
  /** The model's display label (the colour scale's domain); `key` is its name in the results. */
  model: string;
  key: string;
  seeds: number;
  checkpoint: string;
  value: number;
  lo: number;
  hi: number;
  /** "mean ± ci95" for tooltips. */
  shown: string;
  compute: number;
  seconds: number;
  /** Shown in tooltips as text so they read the same in every panel. */
  compute_text: string;
  seconds_text: string;
}

export interface ScenarioInfo {
  scenario: string;
  title: string;
  metric: PrimaryMetric;
}

/** The scenarios present in the results, in display order, with their primary metric. */
export function scenariosOf(results: Results): ScenarioInfo[] {
  const metricOf = new Map<string, PrimaryMetric>();
  for (const r of [...results.matched_summary, ...results.anytime_summary]) metricOf.set(r.scenario, r.metric_name);
  return [...metricOf.keys()]
    .sort((a, b) => scenarioRank(a) - scenarioRank(b) || a.localeCompare(b))
    .map((s) => ({ scenario: s, title: scenarioTitle(s), metric: metricOf.get(s)! }));
}

/** The models present in the results, in display order. */
export function modelsOf(results: Results): string[] {
  return modelOrder([...results.anytime_summary, ...results.matched_summary].map((r) => r.model));
}

/** The model names behind a figure's points (its legend lists these and no others). */
export const modelsIn = (points: Iterable<{ key: string }>): string[] => modelOrder([...points].map((p) => p.key));

export const meanCi = (s: SummaryStats): string => fmtMeanCi(s);

export function point(
  scenario: string,
  model: string,
  checkpoint: string,
  metric: SummaryStats,
  compute: number,
  seconds: number,
): Point {
  return {
    scenario: scenarioTitle(scenario),
    model: modelLabel(model),
    key: model,
    seeds: metric.n,
    checkpoint,
    value: metric.mean,
    lo: metric.mean - metric.ci95,
    hi: metric.mean + metric.ci95,
    shown: meanCi(metric),
    compute,
    seconds,
    compute_text: fmt(compute, 3),
    seconds_text: fmt(seconds, 3),
  };
}

const fromSummary = (r: CheckpointSummary): Point =>
  point(r.scenario, r.model, r.checkpoint_label, r.metric, r.total_compute_proxy.mean, r.wall_clock_sec.mean);

/** Anytime curves at full data, ordered by budget (closed-form starts sit at their fit cost). */
export function anytimePoints(results: Results, scenario: string): Point[] {
  return results.anytime_summary
    .filter((r) => r.scenario === scenario && r.data_fraction === 1)
    .sort((a, b) => byModel(a, b) || a.budget_fraction - b.budget_fraction)
    .map(fromSummary);
}

export interface ParetoPoint extends Point {
  x: number;
  front: boolean;
}

/** Pareto points on one axis; `front` marks the benchmark's frontier. CI and the other axis come from anytime. */
export function paretoPoints(results: Results, scenario: string, axis: 'compute' | 'wall_clock'): ParetoPoint[] {
  const key = (m: string, c: string): string => `${m}|${c}`;
  const front = new Set(
    results.pareto_front
      .filter((r) => r.scenario === scenario && r.axis === axis)
      .map((r) => key(r.model, r.checkpoint_label)),
  );
  const anytime = new Map(
    results.anytime_summary
      .filter((r) => r.scenario === scenario && r.data_fraction === 1)
      .map((r) => [key(r.model, r.checkpoint_label), r]),
  );
  const points = results.pareto_rows
    .filter((r) => r.scenario === scenario && r.axis === axis)
    .map((r) => {
      const a = anytime.get(key(r.model, r.checkpoint_label));
      const metric = a?.metric ?? { mean: r.metric_mean, std: 0, ci95: 0, n: r.seeds };
      const compute = axis === 'compute' ? r.x : (a?.total_compute_proxy.mean ?? NaN);
      const seconds = axis === 'wall_clock' ? r.x : (a?.wall_clock_sec.mean ?? NaN);
      return {
        ...point(scenario, r.model, r.checkpoint_label, metric, compute, seconds),
        x: r.x,
        front: front.has(key(r.model, r.checkpoint_label)),
      };
    });
  return points.sort((a, b) => byModel({ model: a.key }, { model: b.key }) || a.x - b.x);
}

export interface LowDataPoint extends Point {
  fraction: number;
}

/**
 * Metric against train-data fraction at one budget fraction (the benchmark's low-data checkpoints, 0.1 and 1):
 * the low-data runs plus the full-data anytime run. Per (model, data fraction) the checkpoint nearest that budget
 * is used (short runs label theirs e.g. '12%'; the tooltip shows the real label). A model with no gradient steps
 * (one checkpoint) has that one result at every budget.
 */
export function lowDataPoints(results: Results, scenario: string, budget: number): LowDataPoint[] {
  const key = (r: CheckpointSummary): string => `${r.model}|${r.data_fraction}|${r.checkpoint_label}`;
  const low = results.low_data_summary.filter((r) => r.scenario === scenario);
  const lowKeys = new Set(low.map(key));
  const all = [
    ...low,
    ...results.anytime_summary.filter((r) => r.scenario === scenario && r.data_fraction === 1 && !lowKeys.has(key(r))),
  ];
  const nearest = new Map<string, CheckpointSummary>();
  for (const r of all) {
    const k = `${r.model}|${r.data_fraction}`;
    const best = nearest.get(k);
    const d = Math.abs(r.budget_fraction - budget);
    const dBest = best ? Math.abs(best.budget_fraction - budget) : Infinity;
    if (d < dBest || (d === dBest && best && r.budget_fraction > best.budget_fraction)) nearest.set(k, r);
  }
  return [...nearest.values()]
    .sort((a, b) => byModel(a, b) || a.data_fraction - b.data_fraction)
    .map((r) => ({ ...fromSummary(r), fraction: r.data_fraction }));
}

export interface OodPoint extends Point {
  variant: string;
  in_distribution: number;
  in_distribution_text: string;
  delta_text: string;
}

export function oodPoints(results: Results, scenario: string): OodPoint[] {
  const matched = new Map(results.matched_summary.filter((r) => r.scenario === scenario).map((r) => [r.model, r]));
  return results.ood_summary
    .filter((r) => r.scenario === scenario)
    .sort((a, b) => a.variant.localeCompare(b.variant) || byModel(a, b))
    .map((r) => {
      const m = matched.get(r.model);
      return {
        ...point(
          scenario,
          r.model,
          '100%',
          r.metric,
          m?.total_compute_proxy.mean ?? NaN,
          m?.wall_clock_sec.mean ?? NaN,
        ),
        variant: r.variant,
        in_distribution: r.in_distribution.mean,
        in_distribution_text: meanCi(r.in_distribution),
        delta_text: meanCi(r.delta),
      };
    });
}

/** Mean over data fractions of the metric against the total bill (a closed-form fit is paid once). */
export function transferPoints(results: Results, scenario: string): Point[] {
  return results.transfer_summary
    .filter((r) => r.scenario === scenario)
    .sort(byModel)
    .map((r) =>
      point(scenario, r.model, 'all fractions', r.mean_metric, r.total_compute_proxy.mean, r.total_wall_clock_sec.mean),
    );
}
