// Job results → the tables of results.json: aggregates over seeds, compute-to-target, matched-budget finals,
// seed spread, OOD, low-data, transfer (shared cost paid once) and Pareto fronts. Pure functions of rows.
import { REFERENCE_SCENARIOS, scenarioEntry } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';
import { BASELINE_MODEL, MODEL_NAMES } from '../train/index.ts';
import type {
  CheckpointRow,
  CheckpointSummary,
  ComputeToTargetDetail,
  ComputeToTargetSummary,
  FitFraction,
  FitSizeRow,
  MatchedSummary,
  OodRow,
  OodSummary,
  ParetoRow,
  PrimaryMetric,
  Results,
  RunMetadata,
  SeedSummary,
  SummaryStats,
  TargetRow,
  TransferRow,
  TransferSeedSummary,
  TransferSummary,
} from './results.ts';
import type { JobResult } from './store.ts';

/** mean, std (ddof 0), 95% CI = 1.96·std(ddof 1)/√n (0 when n < 2). */
export function stats(values: readonly number[]): SummaryStats {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, ci95: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  const std = Math.sqrt(ss / n);
  const ci95 = n > 1 ? (1.96 * Math.sqrt(ss / (n - 1))) / Math.sqrt(n) : 0;
  return { mean, std, ci95, n };
}

/** Higher accuracy is better; lower cross-entropy is better. */
export function better(metric: PrimaryMetric, a: number, b: number): boolean {
  return metric === 'accuracy' ? a > b : a < b;
}

export function meets(metric: PrimaryMetric, value: number, target: number): boolean {
  return metric === 'accuracy' ? value >= target : value <= target;
}

function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Reference scenarios in their order, then any other (a user's data) after them. */
const scenarioOrder = (s: string) => {
  const i = REFERENCE_SCENARIOS.findIndex((e) => e.name === s);
  return i < 0 ? REFERENCE_SCENARIOS.length : i;
};
const modelOrder = (m: string) => MODEL_NAMES.indexOf(m);
/** Fit fractions from the full fit down, 'auto' last. */
export const fitOrder = (f: FitFraction): number => (f === 'auto' ? 1 : -f);
type Keyed = { scenario: string; model: string; fit_fraction: FitFraction };
const byScenarioModel = (a: Keyed, b: Keyed) =>
  scenarioOrder(a.scenario) - scenarioOrder(b.scenario) ||
  (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0) ||
  modelOrder(a.model) - modelOrder(b.model) ||
  fitOrder(a.fit_fraction) - fitOrder(b.fit_fraction);
/** The series of a row: its model at its fit fraction. */
const series = (r: { model: string; fit_fraction: FitFraction }): string => `${r.model}|${r.fit_fraction}`;

/** Per (scenario, model, data_fraction, checkpoint_label) over seeds, in scenario/model/budget order. */
export function checkpointSummary(rows: readonly CheckpointRow[]): CheckpointSummary[] {
  const groups = groupBy(rows, (r) => `${r.scenario}|${series(r)}|${r.data_fraction}|${r.checkpoint_label}`);
  const out = [...groups.values()].map((g): CheckpointSummary => {
    const r = g[0]!;
    return {
      scenario: r.scenario,
      model: r.model,
      fit_fraction: r.fit_fraction,
      data_fraction: r.data_fraction,
      checkpoint_label: r.checkpoint_label,
      budget_fraction: stats(g.map((x) => x.budget_fraction)).mean,
      metric_name: r.metric_name,
      metric: stats(g.map((x) => x.metric_value)),
      total_compute_proxy: stats(g.map((x) => x.total_compute_proxy)),
      wall_clock_sec: stats(g.map((x) => x.wall_clock_sec)),
    };
  });
  return out.sort(
    (a, b) =>
      byScenarioModel(a, b) ||
      b.data_fraction - a.data_fraction ||
      a.total_compute_proxy.mean - b.total_compute_proxy.mean,
  );
}

/** The last checkpoint of every run (one per scenario, model, seed, data fraction). */
export function finalRows(rows: readonly CheckpointRow[]): CheckpointRow[] {
  const runs = groupBy(rows, (r) => `${r.scenario}|${series(r)}|${r.seed}|${r.data_fraction}`);
  const later = (a: CheckpointRow, b: CheckpointRow) =>
    b.step > a.step || (b.step === a.step && a.checkpoint_label === 'init') ? b : a;
  return [...runs.values()].map((g) => g.reduce(later));
}

export function targets(rows: readonly CheckpointRow[]): TargetRow[] {
  const finals = finalRows(rows).filter((r) => r.model === BASELINE_MODEL && r.data_fraction === 1);
  return [...groupBy(finals, (r) => r.scenario).values()]
    .map((g) => {
      const mean = stats(g.map((r) => r.metric_value)).mean;
      const { targetAccuracyRatio, targetCrossEntropyRatio } = REFERENCE.regimes;
      const ratio = g[0]!.metric_name === 'accuracy' ? targetAccuracyRatio : targetCrossEntropyRatio;
      return {
        scenario: g[0]!.scenario,
        metric_name: g[0]!.metric_name,
        target: mean * ratio,
        backprop_final_mean: mean,
      };
    })
    .sort((a, b) => scenarioOrder(a.scenario) - scenarioOrder(b.scenario));
}

/** Per run: the first checkpoint by compute that meets its scenario's target. */
export function computeToTargetDetail(
  rows: readonly CheckpointRow[],
  tgts: readonly TargetRow[],
): ComputeToTargetDetail[] {
  const target = new Map(tgts.map((t) => [t.scenario, t]));
  const full = rows.filter((r) => r.data_fraction === 1 && target.has(r.scenario));
  const runs = groupBy(full, (r) => `${r.scenario}|${series(r)}|${r.seed}`);
  return [...runs.values()]
    .map((g) => {
      const r0 = g[0]!;
      const t = target.get(r0.scenario)!;
      const hit = [...g]
        .sort((a, b) => a.total_compute_proxy - b.total_compute_proxy || a.step - b.step)
        .find((r) => meets(t.metric_name, r.metric_value, t.target));
      return {
        scenario: r0.scenario,
        dataset: r0.dataset,
        architecture: r0.architecture,
        model: r0.model,
        fit_fraction: r0.fit_fraction,
        seed: r0.seed,
        data_fraction: r0.data_fraction,
        reached: hit !== undefined,
        checkpoint_label: hit?.checkpoint_label ?? null,
        total_compute_proxy: hit?.total_compute_proxy ?? null,
        wall_clock_sec: hit?.wall_clock_sec ?? null,
        budget_fraction: hit?.budget_fraction ?? null,
      };
    })
    .sort((a, b) => byScenarioModel(a, b) || a.seed - b.seed);
}

const meanOrNull = (xs: number[]): number | null => (xs.length ? stats(xs).mean : null);

export function computeToTargetSummary(detail: readonly ComputeToTargetDetail[]): ComputeToTargetSummary[] {
  const groups = groupBy(detail, (d) => `${d.scenario}|${series(d)}`);
  const base = [...groups.values()].map((g) => {
    const hit = g.filter((d) => d.reached);
    return {
      scenario: g[0]!.scenario,
      model: g[0]!.model,
      fit_fraction: g[0]!.fit_fraction,
      reach_rate: hit.length / g.length,
      seeds: g.length,
      total_compute_proxy_mean: meanOrNull(hit.map((d) => d.total_compute_proxy!)),
      wall_clock_sec_mean: meanOrNull(hit.map((d) => d.wall_clock_sec!)),
      budget_fraction_mean: meanOrNull(hit.map((d) => d.budget_fraction!)),
    };
  });
  return base.map((s): ComputeToTargetSummary => {
    const bp = base.find((x) => x.scenario === s.scenario && x.model === BASELINE_MODEL);
    const ratio = (a: number | null, b: number | null | undefined) => (a !== null && b ? a / b : null);
    return {
      ...s,
      wall_clock_ratio_to_backprop: ratio(s.wall_clock_sec_mean, bp?.wall_clock_sec_mean),
      compute_ratio_to_backprop: ratio(s.total_compute_proxy_mean, bp?.total_compute_proxy_mean),
    };
  });
}

export function matchedSummary(rows: readonly CheckpointRow[]): MatchedSummary[] {
  const finals = finalRows(rows).filter((r) => r.data_fraction === 1);
  return [...groupBy(finals, (r) => `${r.scenario}|${series(r)}`).values()]
    .map((g): MatchedSummary => {
      const r = g[0]!;
      // the reference fitted on all rows: its published value sits beside the full-fit series only
      const published = r.fit_fraction === 1 ? (publishedOf(r.scenario)[r.model] ?? null) : null;
      return {
        scenario: r.scenario,
        model: r.model,
        fit_fraction: r.fit_fraction,
        metric_name: r.metric_name,
        metric: stats(g.map((x) => x.metric_value)),
        accuracy: stats(g.map((x) => x.accuracy)),
        nll: stats(g.map((x) => x.nll)),
        ece: stats(g.map((x) => x.ece)),
        perplexity: r.perplexity === null ? null : stats(g.map((x) => x.perplexity ?? NaN)),
        total_compute_proxy: stats(g.map((x) => x.total_compute_proxy)),
        wall_clock_sec: stats(g.map((x) => x.wall_clock_sec)),
        trainable_params: r.trainable_params,
        total_params: r.total_params,
        published,
      };
    })
    .sort((a, b) => byScenarioModel(a, b));
}

export function seedSummary(rows: readonly CheckpointRow[]): SeedSummary[] {
  const finals = finalRows(rows).filter((r) => r.data_fraction === 1);
  return [...groupBy(finals, (r) => `${r.scenario}|${series(r)}`).values()]
    .map((g): SeedSummary => {
      const values = [...g]
        .sort((a, b) => a.seed - b.seed)
        .map((r) => ({ seed: r.seed, metric_value: r.metric_value }));
      const v = values.map((x) => x.metric_value);
      const min = Math.min(...v);
      const max = Math.max(...v);
      const { scenario, model, fit_fraction, metric_name } = g[0]!;
      return { scenario, model, fit_fraction, metric_name, values, min, max, range: max - min, std: stats(v).std };
    })
    .sort((a, b) => byScenarioModel(a, b));
}

export function oodSummary(rows: readonly OodRow[]): OodSummary[] {
  return [...groupBy(rows, (r) => `${r.scenario}|${series(r)}|${r.variant}`).values()].map((g): OodSummary => ({
    scenario: g[0]!.scenario,
    model: g[0]!.model,
    fit_fraction: g[0]!.fit_fraction,
    variant: g[0]!.variant,
    metric_name: g[0]!.metric_name,
    metric: stats(g.map((r) => r.metric_value)),
    in_distribution: stats(g.map((r) => r.in_distribution_value)),
    delta: stats(g.map((r) => r.delta)),
  }));
}

interface TransferInput {
  row: TransferRow;
  shared_compute_proxy: number;
  shared_wall_clock_sec: number;
}

/** Per (scenario, model, seed): mean metric over fractions; total = shared cost once + every fraction's own. */
export function transferSeedSummary(items: readonly TransferInput[]): TransferSeedSummary[] {
  const groups = groupBy(items, (t) => `${t.row.scenario}|${series(t.row)}|${t.row.seed}`);
  return [...groups.values()]
    .map((g): TransferSeedSummary => {
      const first = [...g].sort((a, b) => a.row.data_fraction - b.row.data_fraction)[0]!;
      return {
        scenario: first.row.scenario,
        model: first.row.model,
        fit_fraction: first.row.fit_fraction,
        seed: first.row.seed,
        metric_name: first.row.metric_name,
        mean_metric: stats(g.map((t) => t.row.metric_value)).mean,
        total_compute_proxy: first.shared_compute_proxy + g.reduce((a, t) => a + t.row.total_compute_proxy, 0),
        total_wall_clock_sec: first.shared_wall_clock_sec + g.reduce((a, t) => a + t.row.wall_clock_sec, 0),
      };
    })
    .sort((a, b) => byScenarioModel(a, b) || a.seed - b.seed);
}

export function transferSummary(seeds: readonly TransferSeedSummary[]): TransferSummary[] {
  return [...groupBy(seeds, (s) => `${s.scenario}|${series(s)}`).values()].map((g): TransferSummary => ({
    scenario: g[0]!.scenario,
    model: g[0]!.model,
    fit_fraction: g[0]!.fit_fraction,
    metric_name: g[0]!.metric_name,
    mean_metric: stats(g.map((s) => s.mean_metric)),
    total_compute_proxy: stats(g.map((s) => s.total_compute_proxy)),
    total_wall_clock_sec: stats(g.map((s) => s.total_wall_clock_sec)),
  }));
}

/** Mean anytime points per (scenario, model, label) on both axes. */
export function paretoRows(summary: readonly CheckpointSummary[]): ParetoRow[] {
  const full = summary.filter((s) => s.data_fraction === 1);
  return (['compute', 'wall_clock'] as const).flatMap((axis) =>
    full.map((s): ParetoRow => ({
      scenario: s.scenario,
      model: s.model,
      fit_fraction: s.fit_fraction,
      checkpoint_label: s.checkpoint_label,
      axis,
      x: axis === 'compute' ? s.total_compute_proxy.mean : s.wall_clock_sec.mean,
      metric_name: s.metric_name,
      metric_mean: s.metric.mean,
      seeds: s.metric.n,
    })),
  );
}

/** Per (scenario, axis), by increasing x: keep a point if it beats the best quality so far. */
export function paretoFront(rows: readonly ParetoRow[]): ParetoRow[] {
  const out: ParetoRow[] = [];
  for (const g of groupBy(rows, (r) => `${r.scenario}|${r.axis}`).values()) {
    let best: number | null = null;
    const order = (a: ParetoRow, b: ParetoRow) =>
      a.x - b.x || (better(a.metric_name, a.metric_mean, b.metric_mean) ? -1 : 1);
    for (const r of [...g].sort(order)) {
      if (best === null || better(r.metric_name, r.metric_mean, best)) {
        out.push(r);
        best = r.metric_mean;
      }
    }
  }
  return out;
}

/**
 * Backprop's transfer rows ("scratch", as the reference lists it): nothing is shared, so each fraction is the
 * final checkpoint of the backprop run already made on that subset (low-data) or on all rows (anytime). A
 * (scenario, seed) gets them only when every transfer fraction has such a run, so its mean is over the same
 * fractions as the closed-form models'.
 */
export function scratchTransfer(jobs: readonly JobResult[], fractions: readonly number[]): TransferInput[] {
  const finals = jobs.filter((j) => j.job.model === BASELINE_MODEL && j.job.regime !== 'transfer' && j.rows.length > 0);
  const groups = groupBy(finals, (j) => `${j.job.scenario}|${j.job.seed}`);
  return [...groups.values()].flatMap((g) => {
    const picked = fractions.map((f) => g.find((j) => j.job.fraction === f));
    if (picked.some((j) => j === undefined)) return [];
    return picked.map((j): TransferInput => {
      const {
        budget_fraction,
        checkpoint_label,
        step,
        steps_total,
        trainable_params,
        total_params,
        init_sec,
        init_compute_proxy,
        fit_rows,
        ...row
      } = j!.rows[j!.rows.length - 1]!;
      return { row, shared_compute_proxy: 0, shared_wall_clock_sec: 0 };
    });
  });
}

const REGIME_ORDER = ['anytime', 'low-data', 'transfer'];

/** Scenario, seed, regime, fraction (descending), model: the order rows appear in the tables. */
function jobOrder(a: JobResult, b: JobResult): number {
  const x = a.job;
  const y = b.job;
  return (
    scenarioOrder(x.scenario) - scenarioOrder(y.scenario) ||
    x.seed - y.seed ||
    REGIME_ORDER.indexOf(x.regime) - REGIME_ORDER.indexOf(y.regime) ||
    y.fraction - x.fraction ||
    modelOrder(x.model) - modelOrder(y.model) ||
    fitOrder(x.fitFraction) - fitOrder(y.fitFraction)
  );
}

/** The reference's published finals of a scenario by model (none for a scenario it did not run). */
function publishedOf(scenario: string): Readonly<Record<string, number>> {
  return REFERENCE_SCENARIOS.some((e) => e.name === scenario) ? scenarioEntry(scenario).published : {};
}

/** Per (scenario, seed, data fraction, fit fraction): the rows the fit used and its seconds (from the jobs). */
export function fitSizes(jobs: readonly JobResult[]): FitSizeRow[] {
  const seen = new Map<string, FitSizeRow>();
  for (const j of jobs) {
    if (!j.fit || j.job.regime === 'transfer') continue;
    const { scenario, seed, fraction, fitFraction } = j.job;
    const key = `${scenario}|${seed}|${fraction}|${fitFraction}`;
    if (seen.has(key)) continue;
    seen.set(key, {
      scenario,
      seed,
      data_fraction: fraction,
      fit_fraction: fitFraction,
      n_train: j.fit.n_train,
      fit_rows: j.fit.fit_rows,
      used_fraction: j.fit.fit_rows / j.fit.n_train,
      fit_sec: j.fit.fit_sec,
    });
  }
  return [...seen.values()];
}

/** Every table of results.json from job results (only the regimes asked for are filled). */
export function buildResults(results: readonly JobResult[], metadata: RunMetadata): Results {
  const jobs = [...results].sort(jobOrder);
  const regimes = new Set(metadata.regimes);
  const anytime = regimes.has('anytime') ? jobs.filter((j) => j.job.regime === 'anytime').flatMap((j) => j.rows) : [];
  const low = jobs.filter((j) => j.job.regime === 'low-data').flatMap((j) => j.rows);
  const ood = regimes.has('ood') ? jobs.filter((j) => j.job.regime === 'anytime').flatMap((j) => j.ood) : [];
  const transfer = regimes.has('transfer')
    ? [
        ...scratchTransfer(jobs, metadata.fractions.transfer),
        ...jobs.flatMap((j) => (j.job.regime === 'transfer' && j.transfer ? [j.transfer] : [])),
      ]
    : [];
  const anytimeSummary = checkpointSummary(anytime);
  const tgts = targets(anytime);
  const detail = computeToTargetDetail(anytime, tgts);
  const transferSeeds = transferSeedSummary(transfer);
  const pRows = paretoRows(anytimeSummary);
  return {
    anytime_rows: anytime,
    anytime_summary: anytimeSummary,
    targets: tgts,
    compute_to_target_detail: detail,
    compute_to_target_summary: computeToTargetSummary(detail),
    matched_summary: matchedSummary(anytime),
    seed_summary: seedSummary(anytime),
    ood_rows: ood,
    ood_summary: oodSummary(ood),
    low_data_rows: low,
    low_data_summary: checkpointSummary(low),
    transfer_rows: transfer.map((t) => t.row),
    transfer_seed_summary: transferSeeds,
    transfer_summary: transferSummary(transferSeeds),
    pareto_rows: pRows,
    pareto_front: paretoFront(pRows),
    fit_sizes: fitSizes(jobs),
    metadata,
  };
}
