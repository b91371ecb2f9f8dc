// Jobs: every (scenario, regime, model, seed, data fraction) run, with a stable id, an estimated cost and a
// deterministic shard. OOD rows come from the anytime jobs (the full-data final models), so the `ood` regime
// adds no jobs of its own.
import { ConfigError } from '../errors.ts';
import { SCENARIOS, type ModelName, type ReferenceScenario } from '../reference.ts';
import type { BenchConfig } from './config.ts';
import { budgets, referenceProxyInput } from './proxy.ts';

export type JobRegime = 'anytime' | 'low-data' | 'transfer';

export interface Job {
  id: string;
  scenario: ReferenceScenario;
  regime: JobRegime;
  model: ModelName;
  seed: number;
  /** Fraction of the training rows (1 for anytime). */
  fraction: number;
}

export function jobId(j: Omit<Job, 'id'>): string {
  return `${j.scenario}.${j.regime}.${j.model}.seed${j.seed}.frac${j.fraction}`;
}

/** The transfer regime reuses a full-data closed-form state, so it has no backprop job. */
const TRANSFER_MODELS: readonly ModelName[] = ['cf-finetune', 'cf-ce-head', 'cf-ridge'];

/** Every job of the config, grouped by (scenario, seed) then fraction so caches can be dropped as a run goes. */
export function enumerateJobs(c: BenchConfig): Job[] {
  const jobs: Job[] = [];
  const add = (j: Omit<Job, 'id'>) => jobs.push({ id: jobId(j), ...j });
  const scenarios = SCENARIOS.filter((s) => c.scenarios.includes(s));
  for (const scenario of scenarios) {
    for (const seed of c.seeds) {
      if (c.regimes.includes('anytime') || c.regimes.includes('ood')) {
        for (const model of c.models) add({ scenario, regime: 'anytime', model, seed, fraction: 1 });
      }
      if (c.regimes.includes('low-data')) {
        for (const fraction of c.fractions.lowData) {
          for (const model of c.models) add({ scenario, regime: 'low-data', model, seed, fraction });
        }
      }
      if (c.regimes.includes('transfer')) {
        for (const fraction of c.fractions.transfer) {
          for (const model of c.models) {
            if (TRANSFER_MODELS.includes(model)) add({ scenario, regime: 'transfer', model, seed, fraction });
          }
        }
      }
    }
  }
  return jobs;
}

/** Estimated cost: the job's FLOPs proxy at the reference sizes (gradient models ≈ backprop's budget). */
export function estimatedCost(j: Job): number {
  const b = budgets(referenceProxyInput(j.scenario));
  const perModel = {
    backprop: b.backprop,
    'cf-finetune': b.backprop,
    'cf-ce-head': b.init + b.frozenEncode + b.ceHead,
    'cf-ridge': b.ridge + b.frozenEncode,
  }[j.model];
  return perModel * j.fraction;
}

/** Parses `i/n` (1 ≤ i ≤ n). */
export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ConfigError(`--shard: expected i/n with 1 ≤ i ≤ n (e.g. 2/3), got '${value}'`);
  }
  return { index, count };
}

/**
 * The jobs of shard i of n: longest-processing-time greedy over estimated costs (ties by id), so every shard
 * gets about the same work; the same job list always gives the same split. Keeps the run order.
 */
export function shardJobs(jobs: readonly Job[], shard: { index: number; count: number }): Job[] {
  const order = [...jobs].sort((a, b) => estimatedCost(b) - estimatedCost(a) || (a.id < b.id ? -1 : 1));
  const load = new Array<number>(shard.count).fill(0);
  const owner = new Map<string, number>();
  for (const j of order) {
    let best = 0;
    for (let s = 1; s < shard.count; s++) if (load[s]! < load[best]!) best = s;
    load[best] = load[best]! + estimatedCost(j);
    owner.set(j.id, best);
  }
  return jobs.filter((j) => owner.get(j.id) === shard.index - 1);
}
