// Analytics on hand-made rows: aggregation and CI, checkpoint labels, compute-to-target, Pareto fronts, transfer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  computeToTargetDetail,
  computeToTargetSummary,
  matchedSummary,
  paretoFront,
  scratchTransfer,
  stats,
  targets,
  transferSeedSummary,
  type CheckpointRow,
  type JobResult,
  type ParetoRow,
} from '../../src/bench/index.ts';
import { checkpointLabel, checkpointStepsFor } from '../../src/train/index.ts';

function row(
  model: CheckpointRow['model'],
  seed: number,
  step: number,
  steps: number,
  metric: number,
  compute: number,
  wall: number,
): CheckpointRow {
  return {
    scenario: 'covtype_mlp',
    dataset: 'covtype',
    architecture: 'mlp',
    model,
    fit_fraction: 1,
    seed,
    data_fraction: 1,
    metric_name: 'accuracy',
    metric_value: metric,
    accuracy: metric,
    nll: 1,
    ece: 0.1,
    perplexity: null,
    budget_fraction: step / steps,
    checkpoint_label: step === 0 ? 'init' : checkpointLabel(step, steps),
    step,
    steps_total: steps,
    total_compute_proxy: compute,
    wall_clock_sec: wall,
    trainable_params: 10,
    total_params: 20,
    init_sec: 0,
    init_compute_proxy: 0,
    fit_rows: null,
  };
}

test('stats: mean, std with ddof 0, CI from ddof 1', () => {
  const s = stats([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.equal(s.std, Math.sqrt(1.25));
  assert.ok(Math.abs(s.ci95 - (1.96 * Math.sqrt(5 / 3)) / 2) < 1e-12);
  assert.deepEqual(stats([5]), { mean: 5, std: 0, ci95: 0, n: 1 });
});

test('checkpoint labels round half to even and steps follow max(1, min(S, ceil(S·f)))', () => {
  assert.equal(checkpointLabel(1, 8), '12%'); // 12.5 → 12
  assert.equal(checkpointLabel(3, 8), '38%'); // 37.5 → 38
  assert.equal(checkpointLabel(140, 140), '100%');
  assert.deepEqual(checkpointStepsFor(140, [0.01, 0.05, 0.1, 0.25, 0.5, 1]), [2, 7, 14, 35, 70, 140]);
  assert.deepEqual(checkpointStepsFor(3, [0.01, 0.1, 1]), [1, 3]);
});

const rows: CheckpointRow[] = [
  // backprop finals 0.8 / 0.6 → target 0.7·0.95 = 0.665
  row('backprop', 7, 5, 10, 0.5, 50, 5),
  row('backprop', 7, 10, 10, 0.8, 100, 10),
  row('backprop', 11, 5, 10, 0.4, 50, 6),
  row('backprop', 11, 10, 10, 0.6, 100, 12),
  // cf-finetune reaches the target at its init row for seed 7, never for seed 11
  row('cf-finetune', 7, 0, 4, 0.7, 40, 2),
  row('cf-finetune', 7, 4, 4, 0.75, 100, 4),
  row('cf-finetune', 11, 0, 4, 0.3, 40, 2),
  row('cf-finetune', 11, 4, 4, 0.5, 100, 4),
];

test('targets and compute-to-target pick the first checkpoint by compute that meets the target', () => {
  const t = targets(rows);
  assert.equal(t.length, 1);
  assert.ok(Math.abs(t[0]!.target - 0.7 * 0.95) < 1e-12);
  const d = computeToTargetDetail(rows, t);
  const get = (m: string, s: number) => d.find((x) => x.model === m && x.seed === s)!;
  assert.deepEqual([get('backprop', 7).reached, get('backprop', 7).total_compute_proxy], [true, 100]);
  assert.equal(get('backprop', 11).reached, false);
  assert.deepEqual([get('cf-finetune', 7).checkpoint_label, get('cf-finetune', 7).wall_clock_sec], ['init', 2]);
  assert.equal(get('cf-finetune', 11).reached, false);
  const s = computeToTargetSummary(d);
  const ft = s.find((x) => x.model === 'cf-finetune')!;
  assert.equal(ft.reach_rate, 0.5);
  assert.equal(ft.wall_clock_ratio_to_backprop, 2 / 10);
  assert.equal(ft.compute_ratio_to_backprop, 40 / 100);
});

test('matched summary averages the final checkpoints and carries the published value', () => {
  const m = matchedSummary(rows);
  const bp = m.find((x) => x.model === 'backprop')!;
  assert.ok(Math.abs(bp.metric.mean - 0.7) < 1e-12);
  assert.equal(bp.published, 0.7561);
  assert.equal(m.find((x) => x.model === 'cf-finetune')!.metric.n, 2);
});

test('Pareto front keeps a point only if it beats the best quality so far (per axis; CE lower is better)', () => {
  type Metric = ParetoRow['metric_name'];
  const p = (model: ParetoRow['model'], x: number, v: number, metric: Metric = 'accuracy'): ParetoRow => ({
    scenario: 'covtype_mlp',
    model,
    fit_fraction: 1,
    checkpoint_label: 'x',
    axis: 'compute',
    x,
    metric_name: metric,
    metric_mean: v,
    seeds: 1,
  });
  const front = paretoFront([
    p('backprop', 3, 0.6),
    p('cf-finetune', 1, 0.5),
    p('cf-ridge', 2, 0.4),
    p('backprop', 4, 0.55),
  ]);
  assert.deepEqual(
    front.map((r) => [r.model, r.x]),
    [
      ['cf-finetune', 1],
      ['backprop', 3],
    ],
  );
  const ce = paretoFront([
    p('backprop', 1, 6, 'validation_cross_entropy'),
    p('cf-finetune', 2, 5, 'validation_cross_entropy'),
    p('cf-ridge', 3, 7, 'validation_cross_entropy'),
  ]);
  assert.deepEqual(
    ce.map((r) => r.x),
    [1, 2],
  );
});

test('transfer seed summary pays the shared cost once', () => {
  const t = (fraction: number, metric: number, compute: number, wall: number) => ({
    row: {
      scenario: 'covtype_mlp' as const,
      dataset: 'covtype',
      architecture: 'mlp' as const,
      model: 'cf-ce-head' as const,
      fit_fraction: 1,
      seed: 7,
      data_fraction: fraction,
      metric_name: 'accuracy' as const,
      metric_value: metric,
      accuracy: metric,
      nll: 1,
      ece: 0,
      perplexity: null,
      total_compute_proxy: compute,
      wall_clock_sec: wall,
    },
    shared_compute_proxy: 1000,
    shared_wall_clock_sec: 3,
  });
  const [s] = transferSeedSummary([t(0.01, 0.5, 1, 0.5), t(0.1, 0.6, 10, 1), t(1, 0.7, 100, 2)]);
  assert.ok(Math.abs(s!.mean_metric - 0.6) < 1e-12);
  assert.equal(s!.total_compute_proxy, 1111);
  assert.equal(s!.total_wall_clock_sec, 6.5);
});

test('backprop transfer rows are the final checkpoints of its low-data and full runs, only when all fractions exist', () => {
  const result = (regime: 'anytime' | 'low-data', seed: number, fraction: number, metric: number): JobResult => ({
    job: {
      id: `${regime}.${seed}.${fraction}`,
      scenario: 'covtype_mlp',
      regime,
      model: 'backprop',
      seed,
      fraction,
      fitFraction: 1,
    },
    rows: [
      { ...row('backprop', seed, 1, 4, 0.1, 1, 0.1), data_fraction: fraction },
      { ...row('backprop', seed, 4, 4, metric, 40 * fraction, 4 * fraction), data_fraction: fraction },
    ],
    transfer: null,
    ood: [],
    timing: { init_sec: 0, feature_sec: 0, train_sec: 0, eval_sec: 0, job_sec: 0 },
    fit: null,
    peak_rss_mb: 0,
    config: {},
    environment: {},
  });
  const jobs = [
    result('anytime', 7, 1, 0.7),
    result('low-data', 7, 0.01, 0.5),
    result('low-data', 7, 0.1, 0.6),
    result('anytime', 11, 1, 0.8), // seed 11 has no low-data runs: no scratch rows
  ];
  const scratch = scratchTransfer(jobs, [0.01, 0.1, 1]);
  assert.deepEqual(
    scratch.map((t) => [t.row.seed, t.row.data_fraction, t.row.metric_value, t.row.total_compute_proxy]),
    [
      [7, 0.01, 0.5, 0.4],
      [7, 0.1, 0.6, 4],
      [7, 1, 0.7, 40],
    ],
  );
  assert.ok(scratch.every((t) => t.shared_compute_proxy === 0 && !('checkpoint_label' in t.row)));
  const [s] = transferSeedSummary(scratch);
  assert.ok(Math.abs(s!.mean_metric - 0.6) < 1e-12);
  assert.equal(s!.model, 'backprop');
});
