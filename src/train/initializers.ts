// The initializer axis: a network is allocated (and given its architecture's default initialisation), then an
// initializer fills it in place, as torch.nn.init does, and says what that cost: its MACs in the FLOPs proxy
// and its wall-clock. An entry gives one Initializer per scenario architecture it applies to.
import type { Scenario } from '../data/index.ts';
import type { ClosedFormFit } from './api.ts';
import {
  ClosedFormMlp,
  ClosedFormTransformer,
  initClosedFormMlp,
  initClosedFormTransformer,
  type DepthModel,
} from './models.ts';
import { budgets, proxyInputOf } from './proxy.ts';
import { lsuvInit, mimeticInit, orthogonalInit, zcaInit, zeroResidualInit } from './literature.ts';

/** What an initializer may read: the run's scenario and seed, and the closed-form fit of the run. */
export interface InitContext {
  scenario: Scenario;
  seed: number;
  /** The run's closed-form fit (fitted on first use; shared by the jobs of a benchmark group). */
  fit(): ClosedFormFit;
  /** Whether the fit's seconds are charged to this run (false where a shared fit is charged once elsewhere). */
  chargeFit: boolean;
}

/** The FLOPs-proxy MACs and wall-clock seconds an initialisation cost. */
export interface InitCost {
  macs: number;
  seconds: number;
}

export interface Initializer {
  /** Fills model in place. */
  init_(model: DepthModel, ctx: InitContext): InitCost;
}

export interface InitializerEntry {
  name: string;
  /** One line for help and tables. */
  description: string;
  /** The initializer for each scenario architecture it applies to (absent: it does not apply). */
  mlp?: Initializer;
  transformer?: Initializer;
}

/** The proxy's cost of a closed-form fit: its statistics on the rows it used, at the fit's own depth and rank. */
export function fitMacs(scenario: Scenario, fit: ClosedFormFit): number {
  return budgets(proxyInputOf(scenario, fit.state.config, fit)).init;
}

/** Seconds of the fit charged to a run. */
const fitCost = (ctx: InitContext, fit: ClosedFormFit, copySeconds: number): InitCost => ({
  macs: fitMacs(ctx.scenario, fit),
  seconds: (ctx.chargeFit ? fit.fitSeconds : 0) + copySeconds,
});

function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return (performance.now() - started) / 1000;
}

/** The architecture's own default initialisation (drawn at allocation): nothing more to do. */
const asAllocated: Initializer = { init_: () => ({ macs: 0, seconds: 0 }) };

/** The closed-form MLP start: the fitted layers and normalisations copied into a ClosedFormMlp. */
export const closedFormMlpInit: Initializer = {
  init_(model, ctx) {
    if (!(model instanceof ClosedFormMlp)) throw new Error('closed-form MLP init: the model is not a ClosedFormMlp');
    const fit = ctx.fit();
    if (fit.kind !== 'mlp') throw new Error(`closed-form MLP init: the fit is for an ${fit.kind}`);
    return fitCost(
      ctx,
      fit,
      timed(() => initClosedFormMlp(model, fit.state)),
    );
  },
};

/** The closed-form transformer start: the fitted spectral attention and FFN maps copied into its blocks. */
export const closedFormTransformerInit: Initializer = {
  init_(model, ctx) {
    if (!(model instanceof ClosedFormTransformer)) {
      throw new Error('closed-form transformer init: the model is not a ClosedFormTransformer');
    }
    const fit = ctx.fit();
    if (fit.kind !== 'transformer') throw new Error(`closed-form transformer init: the fit is for an ${fit.kind}`);
    return fitCost(
      ctx,
      fit,
      timed(() => initClosedFormTransformer(model, fit.state)),
    );
  },
};

export const INITIALIZERS: readonly InitializerEntry[] = [
  {
    name: 'default',
    description: "the architecture's PyTorch default (kaiming-uniform Linear, Xavier attention in-projection)",
    mlp: asAllocated,
    transformer: asAllocated,
  },
  {
    name: 'closed-form',
    description: 'the closed-form encoder fitted on paired views (spectral shrinkage layers / spectral attention)',
    mlp: closedFormMlpInit,
    transformer: closedFormTransformerInit,
  },
  {
    name: 'orthogonal',
    description: 'orthogonal weight matrices (Saxe et al. 2014), gain √2 before a ReLU',
    mlp: orthogonalInit,
    transformer: orthogonalInit,
  },
  {
    name: 'lsuv',
    description:
      'layer-sequential unit variance on one training batch after an orthonormal start (Mishkin & Matas 2016)',
    mlp: lsuvInit,
    transformer: lsuvInit,
  },
  {
    name: 'mimetic',
    description: 'self-attention with W_Q·W_Kᵀ ≈ α₁Z + β₁I and W_V·W_O ≈ α₂Z − β₂I (Trockman & Kolter 2023)',
    transformer: mimeticInit,
  },
  {
    name: 'zca',
    description: "the first layer (the transformer's first Q/K/V) as the ZCA whitening of the training inputs",
    mlp: zcaInit,
    transformer: zcaInit,
  },
  {
    name: 'zero-residual',
    description: "every residual branch's last projection zero: each block starts as the identity (Fixup/ReZero)",
    transformer: zeroResidualInit,
  },
];

/** The entry of an initializer name (registry names only). */
export function initializerEntry(name: string): InitializerEntry {
  const entry = INITIALIZERS.find((e) => e.name === name);
  if (!entry) throw new Error(`unknown initializer '${name}'`);
  return entry;
}
