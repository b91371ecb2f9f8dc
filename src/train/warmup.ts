// Libtorch warm-up before the first timed job: the first call of each kernel pays one-off costs (OpenMP and
// OpenBLAS pools starting, the allocator faulting its first pages in, lazily built dispatch tables): measured
// 1.6 s for the first 256-row forward of a QNLI-shaped closed-form transformer against 0.4 s for the next. A
// few steps of every network on a handful of rows, from a throwaway stream, take those costs out of the clock;
// likewise every initializer of the backprop network once.
import type { Scenario } from '../data/index.ts';
import { AdamW, trainStep } from '../nn/index.ts';
import { Generator, dispose, noGrad, tidy, zeros } from '../torch/index.ts';
import { FeatureHead, depthLoss, type DepthModel } from './models.ts';
import { MODELS, buildNetwork, initializerFor, type ClosedFormNetShape } from './registry.ts';

/** Rows per warm-up batch. */
const WARMUP_ROWS = 8;

/**
 * Two training steps and an evaluation of the scenario's backprop and closed-form networks and of a CE head, on
 * its first training rows; touches no stream a run draws from. Returns the seconds it took.
 */
export function warmUp(scenario: Scenario, closedForm: ClosedFormNetShape): number {
  const started = performance.now();
  const rows = Math.min(WARMUP_ROWS, scenario.train.labels.size(0));
  tidy(() => {
    const inputs = scenario.encode(scenario.train.raw.narrow(0, 0, rows));
    const labels = scenario.train.labels.narrow(0, 0, rows);
    const generator = new Generator(0);
    const nets: [DepthModel, typeof inputs][] = [
      [buildNetwork('backprop', scenario, { generator, headSeed: null, closedForm }), inputs],
      [buildNetwork('closed-form', scenario, { generator, headSeed: 0, closedForm }), inputs],
    ];
    const features = (closedForm.depth + 1) * inputs.size(-1);
    nets.push([new FeatureHead(features, scenario.numClasses, 0), zeros([rows, features])]);
    // every start of the backprop network that draws or decomposes (QR, SVD, eigh at the network's own sizes: the
    // first call of each measured 2x the next), on these rows and from seed 0's streams
    const few: Scenario = { ...scenario, train: { raw: scenario.train.raw.narrow(0, 0, rows), labels } };
    const ctx = {
      scenario: few,
      seed: 0,
      chargeFit: false,
      fit: () => {
        throw new Error('warm-up: no closed-form fit');
      },
    };
    for (const spec of MODELS) {
      if (spec.architecture !== 'backprop' || spec.initializer === 'default') continue;
      const start = initializerFor(spec, scenario);
      if (!start) continue;
      const net = buildNetwork('backprop', scenario, { generator, headSeed: null, closedForm });
      try {
        start.init_(net, ctx);
      } catch {
        // left cold: a start that fails on these few rows reports its own error in its job, on all the rows
      } finally {
        dispose(Object.values(net.stateDict()));
      }
    }
    for (const [net, x] of nets) {
      const optimizer = new AdamW(net.parameters(), { lr: 1e-6, weightDecay: 0, betas: [0.9, 0.999], eps: 1e-8 });
      for (let step = 0; step < 2; step++) trainStep(optimizer, () => depthLoss(net.forward(x), labels));
      noGrad(() => (net.predict ? net.predict(x) : net.forward(x)));
      dispose(Object.values(optimizer.stateDict().tensors));
      dispose(Object.values(net.stateDict())); // parameters are kept past tidy scopes
    }
  });
  return (performance.now() - started) / 1000;
}
