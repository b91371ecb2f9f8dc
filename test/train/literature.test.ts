// The literature's initializers on the backprop networks: each one's defining property (orthogonality, LSUV's unit
// output variance, mimetic's products, ZCA's whitened first layer, zero-residual's identity blocks), determinism per
// seed, and its cost recorded in the run (proxy MACs off backprop's budget, seconds on the clock).
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { planJobs, checkConfig, defaultConfig } from '../../src/bench/index.ts';
import { BaselineTransformer, baselineConfig, init } from '../../src/nn/index.ts';
import {
  F,
  Generator,
  dispose,
  eye,
  linalg,
  linspace,
  liveTensors,
  randn,
  tidy,
  zeros,
  type Tensor,
} from '../../src/torch/index.ts';
import {
  BackpropMlp,
  LSUV,
  backpropStepsAfter,
  initializerEntry,
  initializerFor,
  lsuvBatch,
  lsuv_,
  modelSpec,
  runBudgets,
  runModel,
  transformerMaps,
  zcaMatrix,
  mlpMaps,
  type InitContext,
  type LsuvTrace,
} from '../../src/train/index.ts';
import { disposeScenario, tabularScenario, tinyTabular, tinyTokens } from './tiny.ts';
import type { Scenario } from '../../src/data/index.ts';

const maxAbs = (t: Tensor): number => t.abs().max().item();
const ctxOf = (scenario: Scenario, seed: number): InitContext => ({
  scenario,
  seed,
  chargeFit: false,
  fit: () => {
    throw new Error('the literature initializers read no closed-form fit');
  },
});
// networks made by a test, their parameters (kept past tidy scopes) released after it
const made: { stateDict(): Record<string, Tensor> }[] = [];
afterEach(() => dispose(made.splice(0).flatMap((m) => Object.values(m.stateDict()))));
const track = <M extends { stateDict(): Record<string, Tensor> }>(m: M): M => (made.push(m), m);
const transformer = (dim = 16, seed = 0) =>
  track(new BaselineTransformer(baselineConfig(dim, 3, 'mean'), { generator: new Generator(seed) }));
const mlpOf = (features: number, width: number, seed: number) =>
  track(new BackpropMlp(features, 3, { width, generator: new Generator(seed) }));
const initialise = (name: string, model: BackpropMlp | BaselineTransformer, s: Scenario, seed: number) =>
  initializerFor(modelSpec(name), s)!.init_(model, ctxOf(s, seed));
const sameState = (a: { stateDict(): Record<string, Tensor> }, b: { stateDict(): Record<string, Tensor> }) =>
  tidy(() => {
    const sa = a.stateDict();
    const sb = b.stateDict();
    return Object.keys(sa).every((k) => maxAbs(sa[k]!.sub(sb[k]!)) === 0);
  });

test('orthogonal: every weight map has WᵀW = gain²·I (tall) or W Wᵀ = gain²·I (wide) to 1e-5, √2 before a ReLU', () => {
  const s = tinyTabular({ features: 6 });
  const t = tinyTokens();
  tidy(() => {
    const mlp = mlpOf(6, 40, 1);
    const net = transformer();
    const costs = [initialise('orthogonal', mlp, s, 7), initialise('orthogonal', net, t, 7)];
    const maps = [...mlpMaps(mlp), ...transformerMaps(net)];
    assert.equal(maps.length, 4 + 3 * 7);
    for (const m of maps) {
      const w = m.weight;
      const gain = m.relu ? Math.SQRT2 : 1;
      const [rows, cols] = w.shape as [number, number];
      const gram = rows >= cols ? w.t().mm(w) : w.mm(w.t());
      const err = maxAbs(gram.sub(eye(Math.min(rows, cols)).mul(gain * gain)));
      assert.ok(err < 1e-5, `${m.name} (${rows}×${cols}, gain ${gain}): ‖gram − gain²I‖∞ = ${err}`);
    }
    assert.ok(mlpMaps(mlp).filter((m) => m.relu).length === 3, 'the hidden layers carry the ReLU gain');
    for (const c of costs) assert.ok(c.macs > 0 && c.seconds > 0, `cost ${JSON.stringify(c)}`);
    // the same seed gives the same weights; another seed others
    const again = mlpOf(6, 40, 1);
    const other = mlpOf(6, 40, 1);
    initialise('orthogonal', again, s, 7);
    initialise('orthogonal', other, s, 8);
    assert.ok(sameState(mlp, again));
    assert.ok(!sameState(mlp, other));
  });
  disposeScenario(s);
  disposeScenario(t);
});

/** Each LSUV map's output on `x`, recomputed with the modules' own forwards after the init. */
function lsuvOutputs(model: BackpropMlp | BaselineTransformer, x: Tensor): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  if (model instanceof BackpropMlp) {
    let h = x;
    model.hidden.forEach((layer, i) => {
      out[`hidden.${i}`] = layer.forward(h);
      h = out[`hidden.${i}`]!.relu();
    });
    out.head = model.head.forward(h);
    return out;
  }
  const d = model.config.tokenDim;
  let h = x;
  model.blocks.forEach((block, i) => {
    const attn = block.self_attn;
    const a = block.norm1.forward(h);
    ['q', 'k', 'v'].forEach((p, j) => {
      const w = attn.in_proj_weight.narrow(0, j * d, d);
      out[`blocks.${i}.self_attn.${p}`] = F.linear(a, w, attn.in_proj_bias.narrow(0, j * d, d));
    });
    const o = attn.forward(a);
    out[`blocks.${i}.self_attn.out_proj`] = o;
    out[`blocks.${i}.linear1`] = block.linear1.forward(block.norm2.forward(h.add(o)));
    out[`blocks.${i}.linear2`] = block.linear2.forward(out[`blocks.${i}.linear1`]!.gelu());
    h = block.forward(h);
    out[`output_heads.${i}`] = model.output_heads[i]!.forward(h.mean(1));
  });
  return out;
}

test("LSUV: every map's output variance on its batch is within 0.1 of 1, layer by layer in forward order", () => {
  const s = tinyTabular({ features: 6, nTrain: 300 });
  const t = tinyTokens();
  tidy(() => {
    for (const [model, scenario] of [
      [mlpOf(6, 40, 2), s],
      [transformer(16, 2), t],
    ] as const) {
      const generator = new Generator(11);
      const x = lsuvBatch(scenario, generator);
      const trace: LsuvTrace = [];
      const macs = lsuv_(model, x, generator, trace);
      assert.ok(macs > 0);
      const outputs = lsuvOutputs(model, x);
      assert.deepEqual(
        trace.map((r) => r.name),
        Object.keys(outputs),
        'every map, in forward order',
      );
      for (const [name, y] of Object.entries(outputs)) {
        const v = y.var(undefined, { unbiased: false }).item();
        assert.ok(Math.abs(v - 1) < LSUV.tolerance, `${name}: output variance ${v}`);
      }
      // an orthonormal start alone is not unit variance everywhere: LSUV rescaled, within T_max passes
      assert.ok(trace.some((r) => r.passes > 1));
      assert.ok(trace.every((r) => r.passes <= LSUV.maxIterations));
    }
    // the run's LSUV: deterministic per seed (its batch and orthonormal start drawn from the seed)
    const a = mlpOf(6, 40, 3);
    const b = mlpOf(6, 40, 3);
    const c = mlpOf(6, 40, 3);
    initialise('lsuv', a, s, 7);
    initialise('lsuv', b, s, 7);
    initialise('lsuv', c, s, 8);
    assert.ok(sameState(a, b));
    assert.ok(!sameState(a, c));
  });
  disposeScenario(s);
  disposeScenario(t);
});

test('mimetic: W_V·W_O has a negative dominant diagonal (≈ −β₂); per head W_Q·W_Kᵀ balanced rank-k α₁Z + β₁I', () => {
  const t = tinyTokens();
  tidy(() => {
    const d = 32;
    const net = transformer(d, 4);
    const cost = initialise('mimetic', net, t, 7);
    assert.ok(cost.macs > 0);
    const heads = net.config.numHeads;
    const k = d / heads;
    const offDiagonal = (p: Tensor) => p.sub(p.diagonal().diagEmbed()).abs().sum().item() / (d * d - d);
    for (const [i, block] of net.blocks.entries()) {
      const w = block.self_attn.in_proj_weight;
      // the paper's row-vector convention: x ↦ x A_V A_O with A = Wᵀ of the torch (out, in) layout
      const vo = w
        .narrow(0, 2 * d, d)
        .t()
        .mm(block.self_attn.out_proj.weight.t()); // (d, d)
      const diag = vo.diagonal();
      assert.ok(diag.max().item() < 0, `block ${i}: every diagonal entry of W_V·W_O negative`);
      const meanDiag = diag.mean().item();
      assert.ok(Math.abs(meanDiag + 0.4) < 0.1, `block ${i}: mean diagonal ${meanDiag} ≈ −β₂ = −0.4`);
      assert.ok(Math.abs(meanDiag) > 4 * offDiagonal(vo), `block ${i}: diagonal dominates`);
      for (let h = 0; h < heads; h++) {
        const q = w.narrow(0, h * k, k); // (k, d)
        const key = w.narrow(0, d + h * k, k);
        const qk = q.t().mm(key); // (d, d), rank k
        assert.ok(qk.diagonal().mean().item() > offDiagonal(qk), `block ${i} head ${h}: positive diagonal`);
        // balanced factors: W_Q W_Qᵀ = W_K W_Kᵀ = diag(S_k)
        const gq = q.mm(q.t());
        assert.ok(maxAbs(gq.sub(key.mm(key.t()))) < 1e-5);
        assert.ok(maxAbs(gq.sub(gq.diagonal().diagEmbed())) < 1e-5);
      }
    }
    // the factorisation: full rank gives back M, rank k its truncated SVD
    const m = randn([8, 8], { generator: new Generator(1), dtype: 'float64' })
      .mul(0.7 / Math.sqrt(8))
      .add(eye(8, { dtype: 'float64' }).mul(0.7));
    const full = init.balancedFactors(m, 8);
    assert.ok(maxAbs(full.left.mm(full.right.t()).sub(m)) < 1e-12);
    // rank 2: the best rank-2 approximation, ‖M − L Rᵀ‖²_F = the sum of the 6 smallest σ² (Eckart–Young)
    const low = init.balancedFactors(m, 2);
    const residual = m.sub(low.left.mm(low.right.t())).square().sum().item();
    const tail = linalg.eigvalsh(m.t().mm(m)).narrow(0, 0, 6).sum().item(); // ascending
    assert.ok(Math.abs(residual - tail) < 1e-10 * tail, `residual ${residual} vs Σ tail σ² ${tail}`);
    // deterministic per seed; the FFN and heads keep their default draw
    const again = transformer(d, 4);
    const other = transformer(d, 4);
    const untouched = transformer(d, 4);
    initialise('mimetic', again, t, 7);
    initialise('mimetic', other, t, 8);
    assert.ok(sameState(net, again));
    assert.ok(!sameState(net, other));
    assert.equal(maxAbs(net.blocks[1]!.linear1.weight.sub(untouched.blocks[1]!.linear1.weight)), 0);
  });
  disposeScenario(t);
});

test("ZCA: the first layer's outputs have covariance ≈ I on the fit rows (transformer: on layer norm's subspace)", () => {
  // correlated inputs: x = z A with A = diag(1 … 2) Qᵀ, Σ = Q diag(1 … 4) Qᵀ, centred on the train rows;
  // ε = 0.01 × mean eigenvalue leaves each whitened variance within 0.025 of 1
  const features = 6;
  const split = tidy(() => {
    const g = new Generator(5);
    const q = init.orthogonal_(eye(features), { generator: g });
    const a = q.t().mul(linspace(1, 2, features).unsqueeze(1)); // (6, 6)
    const make = (n: number) => {
      const raw = randn([n, features], { generator: g }).mm(a);
      return { raw, labels: raw.narrow(1, 0, 3).argmax(1) };
    };
    const train = make(600);
    const mean = train.raw.mean(0, true);
    return { train: { raw: train.raw.sub(mean), labels: train.labels }, test: make(100) };
  });
  const s = tabularScenario(split, features, 3);
  const t = tinyTokens({ nTrain: 200 });
  tidy(() => {
    const mlp = mlpOf(features, 20, 6);
    const drawn = mlpOf(features, 20, 6);
    const cost = initialise('zca', mlp, s, 7);
    assert.ok(cost.macs >= 600 * features * features && cost.seconds > 0);
    const y = mlp.hidden[0]!.forward(s.train.raw).narrow(1, 0, features); // (N, 6) pre-ReLU, the whitened units
    const cov = covariance(y);
    const before = covariance(drawn.hidden[0]!.forward(s.train.raw).narrow(1, 0, features));
    assert.ok(maxAbs(cov.sub(eye(features))) < 0.05, `MLP: ‖cov − I‖∞ = ${maxAbs(cov.sub(eye(features)))}`);
    assert.ok(maxAbs(before.sub(eye(features))) > 0.2, 'the default draw is not white (the check can fail)');
    const rest = (m: BackpropMlp) => m.hidden[0]!.weight.narrow(0, features, 20 - features);
    assert.equal(maxAbs(rest(mlp).sub(rest(drawn))), 0, 'the other units keep their default draw');

    const net = transformer(16, 6);
    initialise('zca', net, t, 7);
    const d = 16;
    const block = net.blocks[0]!;
    const a = block.norm1.forward(t.train.raw).reshape([-1, d]); // every token of every train row
    const p = eye(d).sub(
      eye(d)
        .mul(0)
        .add(1 / d),
    ); // I − 11ᵀ/d: layer norm's output subspace
    for (let j = 0; j < 3; j++) {
      const out = F.linear(
        a,
        block.self_attn.in_proj_weight.narrow(0, j * d, d),
        block.self_attn.in_proj_bias.narrow(0, j * d, d),
      );
      assert.ok(maxAbs(out.mean(0)) < 1e-4, 'centred');
      const err = maxAbs(covariance(out).sub(p));
      assert.ok(err < 0.05, `transformer map ${j}: ‖cov − (I − 11ᵀ/d)‖∞ = ${err}`);
    }
    assert.equal(initializerEntry('zca').mlp, initializerEntry('zca').transformer);
    assert.throws(() => zcaMatrix(zeros([4, 4], { dtype: 'float64' })), /no positive eigenvalue/);
  });
  disposeScenario(s);
  disposeScenario(t);
});

function covariance(y: Tensor): Tensor {
  const c = y.sub(y.mean(0, true));
  return c.t().mm(c).div(y.size(0));
}

test('zero-residual: every block is exactly the identity on the residual stream at step 0; branches still learn', () => {
  const t = tinyTokens();
  tidy(() => {
    const net = transformer(16, 8);
    const cost = initialise('zero-residual', net, t, 7);
    assert.equal(cost.macs, 0);
    const x = t.train.raw.narrow(0, 0, 8);
    for (const block of net.blocks) assert.equal(maxAbs(block.forward(x).sub(x)), 0);
    const logits = net.forward(x);
    let sum: Tensor | null = null;
    net.output_heads.forEach((head, i) => {
      const z = head.forward(x.mean(1));
      sum = sum ? sum.add(z) : z;
      assert.ok(maxAbs(logits[i]!.sub(sum)) < 1e-6, `head ${i} reads the unchanged tokens`);
    });
    // W_O and the FFN's second layer get gradients at step 0 (the network is not stuck at the identity)
    const loss = F.crossEntropy(logits[2]!, t.train.labels.narrow(0, 0, 8));
    loss.backward();
    assert.ok(maxAbs(net.blocks[0]!.self_attn.out_proj.weight.grad!) > 0);
    assert.ok(maxAbs(net.blocks[0]!.linear2.weight.grad!) > 0);
    net.zeroGrad();
  });
  disposeScenario(t);
});

test('runs: init cost recorded (proxy MACs off backprop’s budget, seconds on the clock), finals finite, seeded', () => {
  for (const s of [tinyTabular(), tinyTokens()]) {
    const b = runBudgets(s, null);
    for (const model of ['orthogonal', 'lsuv', 'mimetic', 'zca', 'zero-residual']) {
      if (!initializerFor(modelSpec(model), s)) {
        assert.ok(s.architecture === 'mlp' && ['mimetic', 'zero-residual'].includes(model));
        assert.throws(() => runModel(s, model, { seed: 7 }), /does not apply to covtype_mlp/);
        continue;
      }
      const live = liveTensors();
      const r = runModel(s, model, { seed: 7 });
      assert.equal(liveTensors(), live, `${model}: no tensor left behind`);
      const again = runModel(s, model, { seed: 7 });
      assert.equal(r.finalLoss, again.finalLoss, `${model}: one seed, one run`);
      assert.ok(Number.isFinite(r.finalLoss!));
      assert.equal(r.config.initializer, model);
      assert.equal(r.config.architecture, 'backprop');
      const init0 = r.checkpoints[0]!;
      assert.equal(init0.label, 'init');
      assert.equal(init0.computeProxy, r.initComputeProxy);
      assert.ok(init0.wallClockSec >= r.timing.initSec && r.timing.initSec > 0, `${model}: init seconds charged`);
      assert.equal(r.stepsTotal, backpropStepsAfter(b, r.initComputeProxy));
      if (model === 'zero-residual') assert.equal(r.initComputeProxy, 0);
      else assert.ok(r.initComputeProxy > 0, `${model}: init MACs`);
      assert.ok(r.checkpoints.every((c) => Number.isFinite(c.metrics.metricValue)));
    }
    disposeScenario(s);
  }
});

test('bench: mimetic and zero-residual on the MLP are skipped with a reason; `all` keeps every applicable one', () => {
  const config = checkConfig({
    ...defaultConfig(true),
    scenarios: ['covtype_mlp', 'qnli_transformer'],
    regimes: ['anytime'],
    models: ['backprop', 'orthogonal', 'lsuv', 'mimetic', 'zca', 'zero-residual'],
  });
  const plan = planJobs(config);
  assert.deepEqual(
    plan.skipped.map((k) => `${k.scenario}:${k.model}`),
    ['covtype_mlp:mimetic', 'covtype_mlp:zero-residual'],
  );
  assert.match(plan.skipped[0]!.reason, /mimetic has no mlp form/);
  assert.equal(plan.jobs.filter((j) => j.scenario === 'covtype_mlp').length, 4);
  assert.equal(plan.jobs.filter((j) => j.scenario === 'qnli_transformer').length, 6);
  assert.ok(
    plan.jobs.every((j) => j.fitFraction === 1),
    'the literature starts read no fit',
  );
});
