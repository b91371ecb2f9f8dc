// The fit-size knob on real data: fit the closed-form transformer encoder on a seeded fraction of the
// training sequences (fitRows = round(f·N), f = 1, 1/2, …, 1/16; f = 1 is the full, reference fit), then
// encode all train and test examples and score the pooled features with a ridge read-out
// (W = (FᵀF + λI)⁻¹FᵀY on one-hot labels, F with a bias column, λ = REFERENCE.ridge.lambda).
// Prints one JSON record per fit and a table (fit seconds exclude encoding; the read-out is not cf-ridge's
// residual read-out, only a fixed probe of feature quality shared by every fraction).
//
// Usage: npm run bench:closedform-fit-size -- [--scenarios cifar100_transformer,qnli_transformer] [--seed 7]
import { fitTransformerEncoder, applyTransformerEncoder } from '../src/closedform/index.ts';
import { loadScenario } from '../src/data/index.ts';
import type { Scenario } from '../src/data/scenario.ts';
import { REFERENCE } from '../src/reference.ts';
import { Generator, eye, getNumThreads, keep, linalg, ones, tidy, type Tensor } from '../src/torch/index.ts';
import { cat } from '../src/torch/index.ts';
import { helpIfAsked } from './usage.ts';

helpIfAsked(import.meta.url); // before anything runs

const FRACTIONS = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Pooled (N, d) features: mean over tokens or the last token, as the scenario's models pool. */
function pool(scenario: Scenario, tokens: Tensor): Tensor {
  return tidy(() => (scenario.pooling === 'last' ? tokens.select(1, tokens.size(1) - 1) : tokens.mean(1)).double());
}

/** Test accuracy of a ridge read-out fitted on the train features. */
function ridgeAccuracy(train: Tensor, trainLabels: Tensor, test: Tensor, testLabels: Tensor, classes: number): number {
  return tidy(() => {
    const withBias = (f: Tensor) => cat([f, ones([f.size(0), 1], { dtype: 'float64' })], 1);
    const x = withBias(train);
    const y = eye(classes, { dtype: 'float64' }).indexSelect(0, trainLabels); // one-hot (N, C)
    const gram = x
      .t()
      .mm(x)
      .add(eye(x.size(1), { dtype: 'float64' }).mul(REFERENCE.ridge.lambda));
    const w = linalg.solve(gram, x.t().mm(y));
    const predicted = withBias(test).mm(w).argmax(1);
    return predicted.eq(testLabels).double().mean().item();
  });
}

async function main(): Promise<void> {
  const names = arg('scenarios', 'cifar100_transformer,qnli_transformer').split(',');
  const seed = Number(arg('seed', '7'));
  const rows: string[] = [];
  for (const name of names) {
    const scenario = await loadScenario(name, { seed });
    const [o1, o2] = REFERENCE.seedOffsets.trainViews;
    const { view1, view2, base, test } = tidy(() => ({
      view1: keep(scenario.encode(scenario.augment(scenario.train.raw, new Generator(seed + o1)))),
      view2: keep(scenario.encode(scenario.augment(scenario.train.raw, new Generator(seed + o2)))),
      base: keep(scenario.encode(scenario.train.raw)),
      test: keep(scenario.encode(scenario.test.raw)),
    }));
    const n = view1.size(0);
    for (const fraction of FRACTIONS) {
      const fitRows = Math.round(fraction * n);
      const started = performance.now();
      const { state, streams } = fitTransformerEncoder(
        { view1, view2 },
        {
          ...REFERENCE.closedForm.transformer,
          fitRows,
          fitSeed: seed,
          propagate: false,
        },
      );
      const fitSeconds = (performance.now() - started) / 1000;
      for (const s of Object.values(streams)) s.dispose();
      const encodeStarted = performance.now();
      const trainFeatures = tidy(() => pool(scenario, applyTransformerEncoder(state, base)));
      const testFeatures = tidy(() => pool(scenario, applyTransformerEncoder(state, test)));
      const encodeSeconds = (performance.now() - encodeStarted) / 1000;
      const accuracy = ridgeAccuracy(
        trainFeatures,
        scenario.train.labels,
        testFeatures,
        scenario.test.labels,
        scenario.numClasses,
      );
      const record = {
        scenario: name,
        seed,
        fraction,
        fitRows,
        n,
        fitSeconds,
        encodeSeconds,
        ridgeTestAccuracy: accuracy,
        config: { ...REFERENCE.closedForm.transformer, computeDtype: state.config.computeDtype },
        threads: getNumThreads(),
      };
      console.log(JSON.stringify(record));
      const frac = `1/${Math.round(1 / fraction)}`;
      rows.push(
        `${name.padEnd(22)} ${frac.padStart(5)} ${String(fitRows).padStart(7)} ` +
          `${fitSeconds.toFixed(2).padStart(8)} ${encodeSeconds.toFixed(2).padStart(9)} ${accuracy.toFixed(4).padStart(9)}`,
      );
      trainFeatures.dispose();
      testFeatures.dispose();
    }
    for (const t of [view1, view2, base, test]) t.dispose();
  }
  console.log('scenario               frac  fitRows   fit s  encode s  ridge acc');
  for (const r of rows) console.log(r);
}

await main();
