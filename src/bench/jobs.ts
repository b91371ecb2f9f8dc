// Jobs: every (scenario, regime, model, seed, data fraction, fit fraction) run, with a stable id, an estimated
// cost and a deterministic shard. OOD rows come from the anytime jobs (the full-data final models), so the `ood`
// regime adds no jobs of its own. A model that reads the closed-form fit runs once per fit fraction; the others
// once (fit fraction 1). A model whose initializer does not apply to a scenario's architecture is skipped.
import { createHash } from 'node:crypto';
import { REFERENCE_SCENARIOS, scenarioEntry, type UserDataOptions } from '../data/index.ts';
import { ConfigError } from '../errors.ts';
import { modelSpec, budgets, appliesTo } from '../train/index.ts';
import type { BenchConfig, FitFraction } from './config.ts';
import { referenceProxyInput } from './proxy.ts';

export type JobRegime = 'anytime' | 'low-data' | 'transfer';

export interface Job {
  id: string;
  /** Scenario registry name. */
  scenario: string;
  regime: JobRegime;
  /** Model registry name. */
  model: string;
  seed: number;
  /** Fraction of the training rows (1 for anytime). */
  fraction: number;
  /** Fraction of those rows the closed-form fit's statistics use (1: all; 'auto': adaptive). */
  fitFraction: FitFraction;
}

/**
 * A scenario name as a file-name part: itself when it is one (the reference scenarios), else its safe characters
 * and 8 hex digits of the sha256 of the name and the data options (`csv:a/b.csv` and `csv:a_b.csv` differ).
 */
export function scenarioKey(scenario: string, data: UserDataOptions | null = null): string {
  if (/^[\w.-]+$/.test(scenario) && data === null) return scenario;
  const hash = createHash('sha256')
    .update(JSON.stringify([scenario, data]))
    .digest('hex')
    .slice(0, 8);
  return `${scenario.replace(/[^\w.-]+/g, '_')}-${hash}`;
}

/** `<scenario key>.<regime>.<model>.seed<s>.frac<f>`, then `.fit<g>` when the fit fraction is not 1. */
export function jobId(j: Omit<Job, 'id'>, data: UserDataOptions | null = null): string {
  const base = `${scenarioKey(j.scenario, data)}.${j.regime}.${j.model}.seed${j.seed}.frac${j.fraction}`;
  return j.fitFraction === 1 ? base : `${base}.fit${j.fitFraction}`;
}

/** A model left out of a scenario because its initializer does not apply there. */
export interface SkippedModel {
  scenario: string;
  model: string;
  reason: string;
}

/** Every job of the config, grouped by (scenario, seed) then fraction so caches can be dropped as a run goes. */
export function enumerateJobs(c: BenchConfig): Job[] {
  return planJobs(c).jobs;
}

/** The jobs of the config and the (scenario, model) pairs skipped as not applicable. */
export function planJobs(c: BenchConfig): { jobs: Job[]; skipped: SkippedModel[] } {
  const jobs: Job[] = [];
  const skipped: SkippedModel[] = [];
  const reference = REFERENCE_SCENARIOS.map((e) => e.name);
  const ordered = [
    ...reference.filter((s) => c.scenarios.includes(s)),
    ...c.scenarios.filter((s) => !reference.includes(s)),
  ];
  for (const scenario of ordered) {
    const architecture = scenarioEntry(scenario).architecture;
    const models = c.models.filter((m) => {
      if (appliesTo(modelSpec(m), architecture)) return true;
      skipped.push({
        scenario,
        model: m,
        reason: `${m} has no ${architecture} form (${scenario} is a ${architecture})`,
      });
      return false;
    });
    // (model, fit fraction) pairs: every fit fraction for a model that reads the fit, else 1
    const variants = models.flatMap((model) =>
      modelSpec(model).usesFit
        ? c.fitFractions.map((fitFraction) => ({ model, fitFraction }))
        : [{ model, fitFraction: 1 }],
    );
    const add = (j: Omit<Job, 'id'>) => jobs.push({ id: jobId(j, c.data), ...j });
    for (const seed of c.seeds) {
      if (c.regimes.includes('anytime') || c.regimes.includes('ood')) {
        for (const v of variants) add({ scenario, regime: 'anytime', seed, fraction: 1, ...v });
      }
      if (c.regimes.includes('low-data')) {
        for (const fraction of c.fractions.lowData) {
          for (const v of variants) add({ scenario, regime: 'low-data', seed, fraction, ...v });
        }
      }
      if (c.regimes.includes('transfer')) {
        // the transfer regime reuses a full-data closed-form state, so only models that read one have jobs
        for (const fraction of c.fractions.transfer) {
          for (const v of variants) {
            if (modelSpec(v.model).usesFit) add({ scenario, regime: 'transfer', seed, fraction, ...v });
          }
        }
      }
    }
  }
  return { jobs, skipped };
}

/** Estimated cost: the job's FLOPs proxy at the scenario's registered sizes (1 when only loading tells). */
export function estimatedCost(j: Job): number {
  if (!scenarioEntry(j.scenario).sizes) return j.fraction;
  const input = referenceProxyInput(j.scenario);
  const fitRows = typeof j.fitFraction === 'number' ? Math.ceil(j.fitFraction * input.nTrain) : input.nTrain;
  return modelSpec(j.model).estimate(budgets({ ...input, fitRows })) * j.fraction;
}

/** At most this many shards (more than any plan has jobs; keeps `n` a plain integer). */
export const MAX_SHARDS = 1_000_000;

/** Parses `i/n` (1 ≤ i ≤ n ≤ MAX_SHARDS; a shard past the job count runs nothing and merges as empty). */
export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d{1,7})\/(\d{1,7})$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count || count > MAX_SHARDS) {
    throw new ConfigError(`--shard: expected i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS} (e.g. 2/3), got '${value}'`);
  }
  return { index, count };
}

/**
 * The jobs of shard i of n: longest-processing-time greedy over estimated costs (ties by id), so every shard
 * gets about the same work; the same job list always gives the same split. Keeps the run order.
 */
export function shardJobs(jobs: readonly Job[], shard: { index: number; count: number }): Job[] {
  const order = [...jobs].sort((a, b) => estimatedCost(b) - estimatedCost(a) || (a.id < b.id ? -1 : 1));
  // shards past the job count get nothing: only min(n, jobs) of them are ever loaded
  const used = Math.min(shard.count, jobs.length);
  const load = new Array<number>(used).fill(0);
  const owner = new Map<string, number>();
  for (const j of order) {
    let best = 0;
    for (let s = 1; s < used; s++) if (load[s]! < load[best]!) best = s;
    load[best] = load[best]! + estimatedCost(j);
    owner.set(j.id, best);
  }
  return jobs.filter((j) => owner.get(j.id) === shard.index - 1);
}
