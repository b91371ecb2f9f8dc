// The FLOPs proxy and compute matching against the expected full-data values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backpropCompute, budgets, fineTuneCompute, referenceProxyInput } from '../../src/bench/proxy.ts';
import { SCENARIOS } from '../../src/reference.ts';

const expected = {
  covtype_mlp: { backprop: 5.232e10, steps: 376, init: 3.249e10, ft: 140 },
  cifar100_transformer: { backprop: 5.803e11, steps: 315, init: 8.307e10, ft: 515 },
  qnli_transformer: { backprop: 5.161e11, steps: 395, init: 1.382e11, ft: 429 },
  wikitext2_next_token_transformer: { backprop: 6.921e11, steps: 625, init: 1.573e11, ft: 708 },
};

function near(actual: number, want: number, what: string): void {
  // the issue gives 4 significant digits
  assert.ok(Math.abs(actual - want) <= 0.0005 * want, `${what} = ${actual.toExponential(4)}, expected ${want}`);
}

test('proxy budgets match the reference at full data', () => {
  for (const name of SCENARIOS) {
    const b = budgets(referenceProxyInput(name));
    const e = expected[name];
    near(b.backprop, e.backprop, `${name} backprop`);
    assert.equal(b.backpropSteps, e.steps, `${name} backprop steps`);
    near(b.init, e.init, `${name} init`);
    assert.equal(b.fineTuneSteps, e.ft, `${name} fine-tune steps`);
    assert.ok(fineTuneCompute(b, b.fineTuneSteps) <= b.backprop, `${name}: matched FT exceeds backprop`);
    assert.ok(fineTuneCompute(b, b.fineTuneSteps + 1) > b.backprop, `${name}: one more FT step still fits`);
    near(backpropCompute(b, b.backpropSteps), b.backprop, `${name} backprop compute at the end`);
  }
});

test('CE head and ridge follow their formulas', () => {
  const b = budgets(referenceProxyInput('covtype_mlp'));
  assert.equal(b.ceHead, 2 * 24 * 12000 * 216 * 7);
  assert.equal(b.ridge, b.init + 3 * (12000 * 54 * 54 + 12000 * 54 * 7));
  assert.equal(b.frozenEncode, 15000 * (54 * 507 + 2 * 507 * 507));
});

test('compute matching gives 0 steps when init exceeds the backprop budget', () => {
  // init ∝ 15·(Tdr + T²r + T²d + Td²) outgrows backprop ∝ 15·(4Td² + 2T²d + 2Tdf + dC) when T ≫ d
  const base = referenceProxyInput('qnli_transformer');
  const b = budgets({ ...base, tokens: 4096, dim: 4 });
  assert.ok(b.init > b.backprop, 'the case must have init above backprop');
  assert.equal(b.fineTuneSteps, 0);
});

test('low-data budgets scale with N (steps per epoch from ceil(N / batch))', () => {
  const b = budgets(referenceProxyInput('covtype_mlp', 120));
  assert.equal(b.stepsPerEpoch, 1);
  assert.equal(b.backpropSteps, 8);
  assert.equal(b.fineTuneSteps, Math.floor((b.backprop - b.init) / b.fineTuneEpoch));
});
