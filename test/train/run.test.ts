import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REFERENCE } from '../../src/reference.ts';
import { liveTensors, tidy } from '../../src/torch/index.ts';
import {
  MODEL_NAMES,
  disposeFit,
  fitClosedForm,
  runBudgets,
  runModel,
  stepsFor,
  warmUp,
} from '../../src/train/index.ts';
import { disposeScenario, fitOptions, tinyTabular, tinyTokens } from './tiny.ts';

test('a short run lowers the test loss for every gradient-trained model, on an MLP and a transformer scenario', () => {
  for (const s of [tinyTabular(), tinyTokens()]) {
    for (const model of ['backprop', 'cf-finetune', 'cf-ce-head'] as const) {
      const steps = 40;
      const record = runModel(s, model, { seed: 3, steps, checkpointSteps: [1, 20], fitOptions: fitOptions(s, 3) });
      const first = record.checkpoints[0]!;
      const last = record.checkpoints[record.checkpoints.length - 1]!;
      const labels = ['2%', '50%', '100%'];
      assert.deepEqual(
        record.checkpoints.map((c) => c.label),
        model === 'cf-finetune' ? ['init', ...labels] : labels,
      );
      assert.equal(last.step, steps);
      const { nll } = last.metrics;
      assert.ok(nll < first.metrics.nll, `${s.name} ${model}: NLL ${first.metrics.nll} → ${nll}`);
      for (let i = 1; i < record.checkpoints.length; i++) {
        assert.ok(record.checkpoints[i]!.wallClockSec >= record.checkpoints[i - 1]!.wallClockSec);
      }
      assert.ok(Number.isFinite(record.finalLoss!));
    }
    disposeScenario(s);
  }
});

test('memory stays flat: constant live tensors over the steps, and none left after the run', () => {
  const s = tinyTokens();
  for (const model of MODEL_NAMES) {
    const before = liveTensors();
    const counts: number[] = [];
    const extra = { shifted: tidy(() => s.test.raw.mul(1.5)) };
    const record = runModel(s, model, {
      seed: 1,
      steps: model === 'cf-ridge' ? undefined : 12,
      fitOptions: fitOptions(s, 1),
      extraEval: extra,
      onProgress: () => counts.push(liveTensors()),
    });
    assert.ok(Number.isFinite(record.extra.shifted!.nll), `${model}: extraEval evaluated`);
    extra.shifted.dispose();
    assert.equal(liveTensors(), before, `${model}: tensors left after the run`);
    // step 1 allocates the optimizer moments; every later step (epoch boundaries included) holds the same count
    assert.ok(
      counts.slice(1).every((c) => c === counts[1]),
      `${model}: live tensors per step ${counts.join(',')}`,
    );
  }
  disposeScenario(s);
});

test('one seed fixes the run; a shared fit is used as given and charged only when asked', () => {
  const s = tinyTabular();
  const a = runModel(s, 'backprop', { seed: 9, steps: 6 });
  const b = runModel(s, 'backprop', { seed: 9, steps: 6 });
  const c = runModel(s, 'backprop', { seed: 10, steps: 6 });
  assert.equal(a.finalLoss, b.finalLoss);
  assert.deepEqual(a.checkpoints[0]!.metrics, b.checkpoints[0]!.metrics);
  assert.notEqual(a.finalLoss, c.finalLoss);
  const fit = fitClosedForm(s, fitOptions(s, 9));
  const charged = runModel(s, 'cf-finetune', { seed: 9, steps: 3, fit });
  const free = runModel(s, 'cf-finetune', { seed: 9, steps: 3, fit, chargeFit: false });
  // the start's seconds: the fit (when charged) plus copying it into the network
  assert.ok(charged.timing.initSec >= fit.fitSeconds);
  assert.ok(free.timing.initSec < fit.fitSeconds + 0.05 && free.timing.initSec < charged.timing.initSec + 1e-9);
  assert.equal(charged.finalLoss, free.finalLoss);
  assert.ok(charged.checkpoints[0]!.wallClockSec >= fit.fitSeconds);
  // budgets: epochs × ceil(N / batch); the CE head's batch is min(512, N); cf-ridge takes none; a closed-form
  // fine-tune gets what is left of backprop's budget after the fit (the proxy's matched count)
  const budget = runBudgets(s, fit);
  assert.equal(stepsFor(s, 'backprop', budget, 0), REFERENCE.mlp.epochs * Math.ceil(240 / REFERENCE.mlp.batch));
  assert.equal(stepsFor(s, 'cf-ce-head', budget, budget.init), REFERENCE.ceHead.epochs * 1);
  assert.equal(stepsFor(s, 'cf-ridge', budget, budget.init), 0);
  assert.equal(stepsFor(s, 'cf-finetune', budget, budget.init), budget.fineTuneSteps);
  assert.throws(() => stepsFor(s, 'cf-finetune', budget, budget.backprop), /uses up backprop's whole budget/);
  assert.throws(() => runModel(s, 'backprop', { seed: 1, steps: 0 }), /steps must be a positive integer, got 0/);
  assert.throws(
    () => runModel(s, 'cf-finetune', { seed: 1, steps: 2 }),
    /needs a closed-form fit: pass fit or fitOptions/,
  );
  assert.throws(() => runModel(s, 'nope', { seed: 1 }), /model must be one of backprop, .*got 'nope'/);
  disposeFit(fit);
  disposeScenario(s);
});

test('next-token runs pool the last token, report cross-entropy and perplexity; cf-ridge fits its temperature', () => {
  const s = tinyTokens({ task: 'next_token', classes: 5 });
  const ridge = runModel(s, 'cf-ridge', { seed: 2, fitOptions: fitOptions(s, 2) });
  const m = ridge.checkpoints[0]!.metrics;
  assert.equal(m.metricName, 'validation_cross_entropy');
  assert.equal(m.metricValue, m.nll);
  assert.ok(Math.abs(m.perplexity! - Math.exp(m.nll)) < 1e-9 * m.perplexity!);
  const t = ridge.config.temperature as number;
  assert.ok(t > 0 && t !== 1, `temperature ${t}`);
  const ft = runModel(s, 'cf-finetune', { seed: 2, steps: 3, fitOptions: fitOptions(s, 2) });
  assert.equal(ft.config.pooling, 'last');
  assert.equal(ft.checkpoints[0]!.label, 'init');
  assert.ok(ft.checkpoints.every((c) => c.metrics.perplexity !== null));
  disposeScenario(s);
});

test('warmUp runs every network on a few rows and leaves no tensor behind', () => {
  for (const s of [tinyTabular(), tinyTokens()]) {
    const before = liveTensors();
    const seconds = warmUp(s, REFERENCE.closedForm[s.architecture]);
    assert.ok(seconds >= 0);
    assert.equal(liveTensors(), before);
    disposeScenario(s);
  }
});
