// The verdict and the tables say what the numbers say, on the hand-made fixture and on edited copies of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, matchedTable, computeToTargetTable, tableMarkdown } from '../../src/report/index.ts';
import { modelLabel, scenarioTitle } from '../../src/report/style.ts';
import type { Results } from '../../src/bench/results.ts';
import { makeResults } from './fixture.ts';

const sentence = (v: { sentences: string[] }, start: string, has: string): string => {
  const s = v.sentences.filter((x) => x.startsWith(start) && x.includes(has));
  assert.equal(s.length, 1, `one sentence starting '${start}' with '${has}' in:\n${v.sentences.join('\n')}`);
  return s[0]!;
};

test('winners at matched budget, first to target with the margin, gaps to the reference', () => {
  const v = verdict(makeResults());
  assert.deepEqual(
    v.winners.map((w) => [w.scenario, w.model, w.clear]),
    [
      ['covtype_mlp', 'backprop', true],
      ['cifar100_transformer', 'backprop', true],
      ['qnli_transformer', 'cf-ce-head', true],
      ['wikitext2_next_token_transformer', 'backprop', true],
    ],
  );
  assert.match(
    sentence(v, 'QNLI / Transformer', 'wins'),
    /^QNLI \/ Transformer: CF \+ CE head wins at matched budget \(accuracy 0\.5567 ± 0\.0051 vs backprop 0\.5357/,
  );
  // Wikitext: lowest cross-entropy wins.
  assert.match(sentence(v, 'WikiText-2', 'wins'), /backprop wins .*CE 5\.6567 ± 0\.0510 vs CF \+ fine-tune 5\.7967/);
  // Covtype: CF + CE head reaches 95% of backprop's accuracy at its fit cost; backprop takes ~10× longer.
  const first = v.first_to_target.find((f) => f.scenario === 'covtype_mlp')!;
  assert.equal(first.model, 'cf-ce-head');
  assert.equal(first.compared_with, 'backprop');
  const ratio = first.compared_seconds! / first.seconds!;
  assert.match(
    sentence(v, 'Covtype / MLP', 'target'),
    new RegExp(
      `CF \\+ CE head reaches the target first in wall-clock, 2\\.91 s, ${ratio.toPrecision(3)}× faster than ` +
        `backprop \\(29\\.4 s\\)\\. CF \\+ fine-tune, closed-form ridge never reached it\\.`,
    ),
  );
  assert.equal(first.trivial, null);
  // QNLI: CF + CE head meets the target with its head untrained, so the first to it says nothing of cost.
  const qnli = v.first_to_target.find((f) => f.scenario === 'qnli_transformer')!;
  assert.match(qnli.trivial!, /^CF \+ CE head meets its target \(≥ 0\.5089\) before any training step/);
  assert.match(
    sentence(v, 'QNLI / Transformer', 'target'),
    /The target says nothing of cost here: CF \+ CE head meets/,
  );
  // Our covtype backprop (0.7757 ± 0.0051) is far from the published 0.7561.
  assert.ok(
    v.reference_gaps.some((g) => g.scenario === 'covtype_mlp' && g.model === 'backprop' && g.published === 0.7561),
  );
  assert.match(sentence(v, 'Ours differ', 'Covtype'), /Covtype \/ MLP backprop \(0\.7757 ± 0\.0051 vs 0\.7561\)/);
});

test('overlapping CIs are not a clear win; nobody reaching the target and no gaps are said so', () => {
  const results: Results = structuredClone(makeResults(['covtype_mlp']));
  const bp = results.matched_summary.find((m) => m.model === 'backprop')!;
  const ce = results.matched_summary.find((m) => m.model === 'cf-ce-head')!;
  ce.metric = { ...ce.metric, mean: bp.metric.mean - 0.001, ci95: 0.01 };
  for (const m of results.matched_summary) if (m.published !== null) m.published = m.metric.mean + m.metric.ci95 / 2;
  for (const r of results.compute_to_target_summary) {
    Object.assign(r, {
      reach_rate: 0,
      wall_clock_sec_mean: null,
      total_compute_proxy_mean: null,
      wall_clock_ratio_to_backprop: null,
    });
  }
  const v = verdict(results);
  assert.equal(v.winners[0]!.clear, false);
  assert.match(
    sentence(v, 'Covtype', 'wins'),
    /backprop wins .*vs CF \+ CE head .*the CIs overlap, so not a clear win\./,
  );
  assert.equal(sentence(v, 'Covtype', 'target'), 'Covtype / MLP: no model reaches the target.');
  assert.deepEqual(v.reference_gaps, []);
  assert.equal(
    v.sentences.at(-1),
    "All 3 of our matched-budget finals are within their CI of the reference's published values.",
  );
});

test('matched table puts the published values beside ours; bold marks only the winner of each group', () => {
  const results = makeResults();
  const matched = matchedTable(results);
  const published = matched.rows.map((r) => r[5]!.text);
  for (const v of [
    '0.7561',
    '0.7187',
    '0.7249',
    '0.1233',
    '0.0957',
    '0.1125',
    '0.5346',
    '0.5214',
    '0.5414',
    '5.6511',
    '5.7923',
    '6.3336',
  ]) {
    assert.ok(published.includes(v), `published ${v} in the matched table`);
  }
  const covBp = matched.rows.find((r) => r[0]!.text === 'Covtype / MLP' && r[1]!.text === 'backprop')!;
  assert.equal(covBp[6]!.text, '+0.0196 †'); // 0.7757 − 0.7561, outside our CI
  assert.equal(covBp[6]!.mark, 'outside-ci');
  // One winner per scenario, and it is the verdict's matched-budget winner.
  const winners = matched.rows.filter((r) => r.some((cell) => cell.mark === 'winner'));
  assert.deepEqual(
    winners.map((r) => [r[0]!.text, r[1]!.text]),
    verdict(results).winners.map((w) => [scenarioTitle(w.scenario), modelLabel(w.model!)]),
  );
  const ctt = computeToTargetTable(results);
  const col = ctt.columns.indexOf('wall-clock ÷ backprop');
  const wall = ctt.columns.indexOf('wall-clock');
  const covCe = ctt.rows.find((r) => r[0]!.text === 'Covtype / MLP' && r[1]!.text === 'CF + CE head')!;
  const want = results.compute_to_target_summary.find((r) => r.scenario === 'covtype_mlp' && r.model === 'cf-ce-head')!;
  assert.equal(covCe[col]!.text, `${Number(want.wall_clock_ratio_to_backprop!.toPrecision(3))}×`);
  assert.equal(covCe[col]!.mark, undefined);
  assert.equal(covCe[wall]!.mark, 'winner'); // first to the target in wall-clock
  const covFt = ctt.rows.find((r) => r[0]!.text === 'Covtype / MLP' && r[1]!.text === 'CF + fine-tune')!;
  assert.equal(covFt[col]!.text, 'never reached');
  // CIFAR-100: only backprop reaches the target, so nobody is bold there.
  assert.ok(ctt.rows.filter((r) => r[0]!.text.startsWith('CIFAR')).every((r) => r.every((cell) => !cell.mark)));
  const md = tableMarkdown(ctt);
  assert.match(
    md,
    /\| Covtype \/ MLP \| CF \+ CE head \| accuracy ≥ 0\.7\d+ \| 3\/3 \| [^|]+ \| \*\*2\.91 s\*\* \| 0\.0\d+× \|/,
  );
  assert.equal((md.match(/\*\*/g) ?? []).length / 2, ctt.rows.flat().filter((cell) => cell.mark === 'winner').length);
});

test('one seed: no CI claims, ties said as ties, and a --quick run is flagged as not comparable', () => {
  const results: Results = structuredClone(makeResults(['qnli_transformer']));
  results.metadata.quick = true;
  for (const m of results.matched_summary) m.metric = { mean: m.metric.mean, std: 0, ci95: 0, n: 1 };
  const v = verdict(results);
  assert.match(v.sentences[0]!, /^A --quick run .*not comparable to the reference's published values\.$/);
  assert.match(
    sentence(v, 'QNLI', 'wins'),
    /CF \+ CE head wins .*\(accuracy 0\.5567 \(1 seed\) vs backprop 0\.5357 \(1 seed\)\); one seed, so no CI/,
  );
  assert.equal(v.winners[0]!.clear, false);
  assert.deepEqual(v.reference_gaps, []);
  assert.match(v.sentences.at(-1)!, /^3 matched-budget finals have one seed, so no CI/);
  const bp = results.matched_summary.find((m) => m.model === 'backprop')!;
  for (const m of results.matched_summary) {
    if (m.model !== 'backprop') m.metric.mean = Math.min(m.metric.mean, bp.metric.mean);
  }
  results.matched_summary.find((m) => m.model === 'cf-finetune')!.metric.mean = bp.metric.mean;
  // every model at the best mean is named (CF + CE head was clipped to backprop's mean too), and the JSON agrees
  assert.match(
    sentence(verdict(results), 'QNLI', 'tie'),
    /^QNLI \/ Transformer: backprop, CF \+ fine-tune and CF \+ CE head tie at matched budget \(accuracy 0\.5357 \(1 seed\)\)\.$/,
  );
  assert.equal(verdict(results).winners[0]!.model, null);
});
