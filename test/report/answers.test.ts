// The page's answers: one line per question, counted from the summary tables (never fixed text), on the
// fixture, on edited copies of it that flip an answer, and with ten models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answers, judgements, startsTable, trivialTarget, QUESTIONS } from '../../src/report/index.ts';
import { fmtSeconds } from '../../src/report/style.ts';
import type { Results } from '../../src/bench/results.ts';
import { makeResults } from './fixture.ts';
import { manyModels } from './many-models.ts';

const byId = (results: Results): Record<string, ReturnType<typeof answers>[number]> =>
  Object.fromEntries(answers(results).map((a) => [a.id, a]));

test('one answer per question, in order, each counting scenarios from the tables', () => {
  const results = makeResults();
  const all = answers(results);
  assert.deepEqual(
    all.map((a) => a.question),
    [
      'Same budget, better quality?',
      'Same target, less compute?',
      'Same target, less wall-clock?',
      'Stable across seeds and shifts?',
    ],
  );
  const a = byId(results);
  // Matched budget: only QNLI has a start (CF + CE head) above backprop.
  assert.equal(a.quality!.summary, 'Better at the same budget: 1 of 4 scenarios');
  assert.match(
    a.quality!.line,
    /^Better at the same budget: 1 of 4 scenarios \(QNLI \/ Transformer: CF \+ CE head 0\.5567 vs backprop 0\.5357, outside both CIs\); not in Covtype, CIFAR-100, WikiText-2 next token\.$/,
  );
  // Wall-clock to target: CF + CE head beats backprop on covtype only (QNLI: backprop 3.05 s vs 6.00 s).
  const ct = (scenario: string, model: string) =>
    results.compute_to_target_summary.find((r) => r.scenario === scenario && r.model === model)!;
  // QNLI: the fixture's CF + CE head meets the target at its first checkpoint, its head untrained: not judged.
  assert.equal(
    a.wall_clock!.line,
    `Pays off in wall-clock: 1 of 3 scenarios (Covtype / MLP: CF + CE head ` +
      `${fmtSeconds(ct('covtype_mlp', 'cf-ce-head').wall_clock_sec_mean)} vs backprop ` +
      `${fmtSeconds(ct('covtype_mlp', 'backprop').wall_clock_sec_mean)}); not in CIFAR-100, WikiText-2 next token; ` +
      `QNLI not judged: CF + CE head meets its target (≥ 0.5089) before any training step, with an untrained head.`,
  );
  assert.equal(a.compute!.yes, 1);
  assert.deepEqual(
    a.compute!.scenarios.filter((s) => s.pays).map((s) => [s.scenario, s.model]),
    [['covtype_mlp', 'cf-ce-head']],
  );
  // Same spread over seeds (the fixture's jitter) and half backprop's loss under shift: stable everywhere.
  assert.equal(a.stability!.summary, 'At least as stable as backprop: 4 of 4 scenarios');
  assert.match(
    a.stability!.line,
    /Covtype \/ MLP: CF \+ CE head seed std 0\.0037 vs 0\.0037, loss under shift 0\.0300 vs 0\.0600/,
  );
  assert.deepEqual(
    all.map((x) => [x.id, x.of, x.unjudged.map((u) => u.scenario)]),
    [
      ['quality', 4, []],
      ['compute', 3, ['qnli_transformer']],
      ['wall_clock', 3, ['qnli_transformer']],
      ['stability', 4, []],
    ],
  );
});

test('a target a start meets before any training step, its head untrained, is not judged for cost; else it is', () => {
  const results: Results = structuredClone(makeResults(['qnli_transformer']));
  assert.match(trivialTarget(results, 'qnli_transformer')!, /^CF \+ CE head meets its target \(≥ 0\.5089\)/);
  assert.equal(byId(results).compute!.of, 0);
  assert.match(byId(results).compute!.line, /: no scenario to judge\.$/);
  // closed-form ridge at its first checkpoint does not count: its head is solved from the labels
  const init = results.compute_to_target_detail.filter((d) => d.checkpoint_label === 'init' && d.reached);
  for (const d of init) if (d.model !== 'cf-ridge') d.reached = false;
  assert.ok(
    init.some((d) => d.model === 'cf-ridge'),
    'the fixture has a ridge reaching at init',
  );
  assert.equal(trivialTarget(results, 'qnli_transformer'), null);
  assert.equal(byId(results).compute!.of, 1);
});

test('the answers follow the numbers: edits to the tables flip them', () => {
  const results: Results = structuredClone(makeResults());
  // QNLI's target judged for cost: no start meets it at its first checkpoint with an untrained head
  for (const d of results.compute_to_target_detail) if (d.checkpoint_label === 'init') d.reached = false;
  // QNLI: backprop now takes 20 s to the target, so CF + CE head (6 s, 3/3 seeds) pays off there too.
  const row = (scenario: string, model: string) =>
    results.compute_to_target_summary.find((r) => r.scenario === scenario && r.model === model)!;
  row('qnli_transformer', 'backprop').wall_clock_sec_mean = 20;
  let a = byId(results);
  assert.equal(a.wall_clock!.yes, 2);
  assert.match(
    a.wall_clock!.line,
    /QNLI \/ Transformer: (CF \+ CE head|closed-form ridge) 6\.00 s vs backprop 20\.0 s/,
  );
  // ...but not when it reached the target in fewer seeds than backprop.
  for (const m of ['cf-ce-head', 'cf-ridge', 'cf-finetune'] as const) row('qnli_transformer', m).reach_rate = 2 / 3;
  a = byId(results);
  assert.equal(a.wall_clock!.yes, 1);
  assert.ok(!a.wall_clock!.scenarios.find((s) => s.scenario === 'qnli_transformer')!.pays);
  // Backprop never reaching the target while a start does is a yes.
  row('cifar100_transformer', 'backprop').reach_rate = 0;
  row('cifar100_transformer', 'backprop').wall_clock_sec_mean = null;
  Object.assign(row('cifar100_transformer', 'cf-ce-head'), { reach_rate: 1, wall_clock_sec_mean: 50 });
  const cifar = byId(results).wall_clock!.scenarios.find((s) => s.scenario === 'cifar100_transformer')!;
  assert.deepEqual([cifar.pays, cifar.detail], [true, 'CF + CE head 50.0 s vs backprop never reached it']);
  // A wider spread over seeds than backprop is not stable.
  const m = results.matched_summary.find((r) => r.scenario === 'covtype_mlp' && r.model === 'cf-ce-head')!;
  m.metric = { ...m.metric, std: m.metric.std * 2 };
  a = byId(results);
  assert.equal(a.stability!.yes, 3);
  assert.match(a.stability!.line, /; not in Covtype\.$/);
  // Quality: lifting CF + fine-tune above backprop on WikiText-2 (lower CE) adds that scenario.
  const w = results.matched_summary.find((r) => r.scenario === 'wikitext2_next_token_transformer')!;
  const ft = results.matched_summary.find(
    (r) => r.scenario === 'wikitext2_next_token_transformer' && r.model === 'cf-finetune',
  )!;
  ft.metric = { ...ft.metric, mean: w.metric.mean - 0.2 };
  a = byId(results);
  assert.equal(a.quality!.yes, 2);
  assert.match(a.quality!.line, /WikiText-2 next token \/ Transformer: CF \+ fine-tune 5\.4567 vs backprop 5\.6567/);
});

test('with no baseline there is nothing to judge, said so; one seed is never called stable', () => {
  const results: Results = structuredClone(makeResults(['qnli_transformer']));
  for (const m of results.matched_summary) m.metric = { ...m.metric, std: 0, ci95: 0, n: 1 };
  const a = byId(results);
  assert.equal(a.stability!.yes, 0);
  assert.match(a.stability!.line, /: 0 of 1 scenario; not in QNLI\.$/);
  assert.match(a.quality!.line, /, one seed\)/);
  for (const table of ['matched_summary', 'compute_to_target_summary', 'ood_summary'] as const) {
    (results[table] as { model: string }[]) = results[table].filter((r) => r.model !== 'backprop');
  }
  for (const x of answers(results)) {
    assert.equal(x.of, 0);
    assert.match(x.line, /: no scenario to judge\.$/);
  }
});

test('ten models: the best start answers each question; the starts table counts every start', () => {
  const results = manyModels(makeResults());
  const a = byId(results);
  // zero-residual is a backprop copy 0.008 above it: the best start at matched budget on covtype, CIs overlapping.
  const cov = a.quality!.scenarios.find((s) => s.scenario === 'covtype_mlp')!;
  assert.deepEqual([cov.model, cov.pays], ['zero-residual', true]);
  assert.match(cov.detail, /^zero-residual 0\.7837 vs backprop 0\.7757, CIs overlap$/);
  const all = judgements(results);
  const table = startsTable(results);
  const starts = table.rows.map((r) => r[0]!.text);
  assert.deepEqual(starts, [
    'CF + fine-tune',
    'CF + CE head',
    'CF + CE head (fit 1/16)',
    'closed-form ridge',
    'orthogonal',
    'LSUV',
    'mimetic',
    'ZCA',
    'zero-residual',
  ]);
  QUESTIONS.forEach((q, i) => {
    for (const [r, row] of table.rows.entries()) {
      const model = table.csv.rows[r]![0] as string;
      const own = all[q.id].filter((j) => j.model === model);
      assert.match(
        row[i + 1]!.text,
        new RegExp(`^${own.filter((j) => j.pays).length} of ${own.length}`),
        `${model} ${q.id}`,
      );
    }
  });
  // The best start per scenario is one the starts table also counts for that scenario.
  for (const q of answers(results)) {
    for (const s of q.scenarios.filter((x) => x.pays)) {
      assert.ok(all[q.id].some((j) => j.model === s.model && j.scenario === s.scenario && j.pays));
    }
  }
});

test('a start run on fewer seeds is judged against the baseline on the seeds both ran', () => {
  const results: Results = structuredClone(makeResults(['qnli_transformer']));
  const seven = <T extends { model: string; seed: number }>(rows: T[]): T[] =>
    rows.filter((r) => r.model !== 'cf-ce-head' || r.seed === 7);
  results.anytime_rows = seven(results.anytime_rows);
  results.compute_to_target_detail = seven(results.compute_to_target_detail);
  results.ood_rows = seven(results.ood_rows);
  const ss = results.seed_summary.find((r) => r.model === 'cf-ce-head')!;
  ss.values = ss.values.filter((v) => v.seed === 7);
  const final = (model: string): number =>
    results.seed_summary.find((r) => r.model === model)!.values.find((v) => v.seed === 7)!.metric_value;
  const mean = results.matched_summary.find((r) => r.model === 'backprop')!.metric.mean;
  assert.notEqual(final('backprop').toFixed(4), mean.toFixed(4)); // the fixture's seeds differ
  const j = judgements(results).quality.find((x) => x.model === 'cf-ce-head')!;
  // backprop's seed-7 final, not its 3-seed mean; the seeds said
  assert.equal(
    j.detail,
    `CF + CE head ${final('cf-ce-head').toFixed(4)} vs backprop ${final('backprop').toFixed(4)}, one seed (seed 7)`,
  );
  assert.equal(j.pays, final('cf-ce-head') > final('backprop'));
  // starts on every seed keep the stored 3-seed tables
  const ridge = judgements(results).quality.find((x) => x.model === 'cf-ridge')!;
  assert.match(ridge.detail, new RegExp(`vs backprop ${mean.toFixed(4)}, (CIs overlap|outside both CIs)$`));
});
