// The benchmark's one configuration: defaults from REFERENCE, checked once, complete at construction.
import { finiteNumber, nonNegativeInt, oneOf, positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';
import { MODELS, REFERENCE, SCENARIOS, type ModelName, type ReferenceScenario } from '../reference.ts';

export const REGIMES = ['anytime', 'low-data', 'transfer', 'ood'] as const;
export type Regime = (typeof REGIMES)[number];

export interface BenchConfig {
  scenarios: ReferenceScenario[];
  seeds: number[];
  regimes: Regime[];
  models: ModelName[];
  /** Train/test rows per scenario; null = the reference sizes (SCENARIO_SHAPES). */
  rows: { nTrain: number; nTest: number } | null;
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
    models: [...MODELS],
    rows: quick ? { ...QUICK_ROWS } : null,
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

/** Checks every field (one-line ConfigError naming the culprit) and returns the config. */
export function checkConfig(c: BenchConfig): BenchConfig {
  unique(
    c.scenarios.map((s) => oneOf(s, '--scenarios', SCENARIOS)),
    '--scenarios',
  );
  unique(
    c.models.map((m) => oneOf(m, '--models', MODELS)),
    '--models',
  );
  unique(
    c.regimes.map((r) => oneOf(r, '--regimes', REGIMES)),
    '--regimes',
  );
  unique(
    c.seeds.map((s) => nonNegativeInt(s, '--seeds')),
    '--seeds',
  );
  if (c.scenarios.length === 0 || c.models.length === 0 || c.regimes.length === 0 || c.seeds.length === 0) {
    throw new ConfigError('--scenarios, --models, --regimes and --seeds each need at least one value');
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
