// The benchmark's one configuration: defaults from REFERENCE, checked once, complete at construction.
import { finiteNumber, oneOf, positiveInt, seedValue } from '../checks.ts';
import { scenarioEntry, type UserDataOptions } from '../data/index.ts';
import { ConfigError } from '../errors.ts';
import { REFERENCE, SCENARIOS } from '../reference.ts';
import { DEFAULT_MODELS, modelSpec, type FitOptions } from '../train/index.ts';

export const REGIMES = ['anytime', 'low-data', 'transfer', 'ood'] as const;
export type Regime = (typeof REGIMES)[number];

import type { FitFraction } from './results.ts';
export type { FitFraction };

/** The closed-form encoder's shape and λ per scenario architecture (the fit's seed and rows come per job). */
export type ClosedFormConfig = Record<'mlp' | 'transformer', Omit<FitOptions, 'seed' | 'fitRows'>>;

export interface BenchConfig {
  /** Scenario registry names. */
  scenarios: string[];
  seeds: number[];
  regimes: Regime[];
  /** Model registry names. */
  models: string[];
  /** Every model that reads a closed-form fit runs at each of these fit fractions. */
  fitFractions: FitFraction[];
  closedForm: ClosedFormConfig;
  /** Train/test rows per scenario; null = the scenario's own sizes. */
  rows: { nTrain: number; nTest: number } | null;
  /** How a user's data (csv:, text:, lm:, images: scenarios) is read; null for the reference scenarios alone. */
  data: UserDataOptions | null;
  fractions: { anytime: number[]; lowData: number[]; lowDataCheckpoints: number[]; transfer: number[] };
  quick: boolean;
}

/** Rows per scenario of `--quick`: a few hundred train rows, all scenarios, all regimes, one seed. */
export const QUICK_ROWS = { nTrain: 400, nTest: 200 } as const;

export function defaultConfig(quick = false): BenchConfig {
  const r = REFERENCE.regimes;
  return {
    scenarios: [...SCENARIOS],
    seeds: quick ? [REFERENCE.seeds[0]] : [...REFERENCE.seeds],
    regimes: [...REGIMES],
    models: [...DEFAULT_MODELS],
    fitFractions: [1],
    closedForm: {
      mlp: { ...REFERENCE.closedForm.mlp, tolerance: REFERENCE.fitSize.tolerance },
      transformer: { ...REFERENCE.closedForm.transformer, tolerance: REFERENCE.fitSize.tolerance },
    },
    rows: quick ? { ...QUICK_ROWS } : null,
    data: null,
    fractions: {
      anytime: [...r.anytimeFractions],
      lowData: quick ? [0.1] : [...r.lowDataFractions],
      lowDataCheckpoints: [...r.lowDataCheckpoints],
      transfer: [...r.transferFractions],
    },
    quick,
  };
}

/** A comma-separated flag value as a list (empty items rejected). */
export function listFlag(value: string, name: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) {
    throw new ConfigError(`${name}: expected a comma-separated list, got '${value}'`);
  }
  return items;
}

function unique<T>(items: T[], name: string): T[] {
  const seen = new Set<T>();
  for (const x of items) {
    if (seen.has(x)) throw new ConfigError(`${name}: '${String(x)}' is listed twice`);
    seen.add(x);
  }
  return items;
}

function fractions(values: readonly number[], name: string): number[] {
  if (values.length === 0) throw new ConfigError(`${name}: expected at least one fraction`);
  return unique(
    values.map((v) => finiteNumber(v, name, { min: 0, max: 1, exclusiveMin: true })),
    name,
  );
}

/** `1`, `0.0625`, `1/16` or `auto` as a FitFraction (a ConfigError naming --fit-fractions otherwise). */
export function parseFitFraction(text: string): FitFraction {
  if (text === 'auto') return 'auto';
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const value = m ? Number(m[1]) / Number(m[2]) : /^\d*\.?\d+(e-?\d+)?$/.test(text) ? Number(text) : NaN;
  return finiteNumber(value, `--fit-fractions ('${text}')`, { min: 0, max: 1, exclusiveMin: true });
}

/** Checks every field (one-line ConfigError naming the culprit) and returns the config. */
export function checkConfig(c: BenchConfig): BenchConfig {
  unique(c.scenarios, '--scenarios').forEach((s) => scenarioEntry(s, '--scenarios'));
  unique(c.models, '--models').forEach((m) => modelSpec(m, '--models'));
  unique(
    c.regimes.map((r) => oneOf(r, '--regimes', REGIMES)),
    '--regimes',
  );
  unique(
    c.seeds.map((s) => seedValue(s, '--seeds')),
    '--seeds',
  );
  if (c.scenarios.length === 0 || c.models.length === 0 || c.regimes.length === 0 || c.seeds.length === 0) {
    throw new ConfigError('--scenarios, --models, --regimes and --seeds each need at least one value');
  }
  if (c.fitFractions.length === 0) throw new ConfigError('--fit-fractions: expected at least one fraction or auto');
  unique(
    c.fitFractions.map((f) =>
      f === 'auto' ? f : finiteNumber(f, '--fit-fractions', { min: 0, max: 1, exclusiveMin: true }),
    ),
    '--fit-fractions',
  );
  for (const arch of ['mlp', 'transformer'] as const) {
    positiveInt(c.closedForm[arch].depth, `closedForm.${arch}.depth`);
    finiteNumber(c.closedForm[arch].lambda, `closedForm.${arch}.lambda`, { min: 0, exclusiveMin: true });
  }
  const reference = new Set<string>(SCENARIOS);
  if (c.data && c.scenarios.every((s) => reference.has(s))) {
    throw new ConfigError("--label, --test and the other data flags apply to a user's data (--data csv:FILE, …) only");
  }
  if (c.rows) {
    positiveInt(c.rows.nTrain, 'rows.nTrain');
    positiveInt(c.rows.nTest, 'rows.nTest');
  }
  fractions(c.fractions.anytime, 'anytime fractions');
  fractions(c.fractions.lowData, 'low-data fractions');
  fractions(c.fractions.lowDataCheckpoints, 'low-data checkpoint fractions');
  fractions(c.fractions.transfer, 'transfer fractions');
  return c;
}
