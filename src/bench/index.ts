// cfinit's benchmark floor: jobs, the FLOPs proxy, the job loop, analytics and results.json.
import { cpus, totalmem } from 'node:os';
import { getNumThreads, versions } from '../torch/index.ts';
import { buildResults } from './analytics.ts';
import type { Regime } from './config.ts';
import { packageVersion } from './identity.ts';
import type { Results, RunMetadata } from './results.ts';
import { readJobResults, writeResults, type ReadJobsOptions, type StoredJob } from './store.ts';

export * from './analytics.ts';
export * from './config.ts';
export * from './execute.ts';
export * from './identity.ts';
export * from './jobs.ts';
export * from './proxy.ts';
export * from './run.ts';
export * from './store.ts';
export { summaryText } from './summary.ts';
export type * from './results.ts';

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const byNumber = (a: number, b: number) => a - b;

/**
 * What was aggregated, from the jobs themselves (not from the command line): their seeds, scenarios, models,
 * fractions, --quick (any quick job makes the whole quick: a quick result is never a full run), versions and
 * machine; runtime_sec is the jobs' own seconds summed (a re-run that computes nothing leaves it as it was),
 * started_at the earliest job's start. `regimes` defaults to those the jobs cover (anytime implies ood).
 */
export function runMetadata(jobs: readonly StoredJob[], regimes?: readonly Regime[]): RunMetadata {
  const of = (r: string) => jobs.filter((j) => j.job.regime === r);
  const env = (k: string) => unique(jobs.map((j) => j.environment[k]).filter((v) => v !== undefined));
  const ids = jobs.flatMap((j) => (j.identity ? [j.identity] : [])); // format-1 files have none
  const covered: Regime[] = [
    ...(of('anytime').length ? (['anytime', 'ood'] as const) : []),
    ...(of('low-data').length ? (['low-data'] as const) : []),
    ...(of('transfer').length ? (['transfer'] as const) : []),
  ];
  const starts = jobs.flatMap((j) => (j.finished_at ? [Date.parse(j.finished_at) - j.timing.job_sec * 1000] : []));
  const threads = env('threads').filter((t): t is number => typeof t === 'number');
  const cpu = env('cpuModel');
  const cores = env('cpus').filter((c): c is number => typeof c === 'number');
  return {
    seeds: unique(jobs.map((j) => j.job.seed)).sort(byNumber),
    scenarios: unique(jobs.map((j) => j.job.scenario)),
    models: unique(jobs.map((j) => j.job.model)),
    regimes: regimes ? [...regimes] : covered,
    fractions: {
      anytime: unique(ids.flatMap((i) => i.checkpoints.anytime)).sort(byNumber),
      low_data: unique(of('low-data').map((j) => j.job.fraction)).sort(byNumber),
      low_data_checkpoints: unique(ids.flatMap((i) => i.checkpoints.lowData)).sort(byNumber),
      transfer: unique(of('transfer').map((j) => j.job.fraction)).sort(byNumber),
    },
    quick: ids.some((i) => i.quick),
    fit_fractions: unique(jobs.map((j) => j.job.fitFraction)),
    versions: {
      cfinit: unique(ids.map((i) => i.cfinit)).join(', ') || packageVersion(),
      libtorch: unique(ids.map((i) => i.libtorch)).join(', ') || versions().torch,
      node: (env('node') as string[]).join(', ') || process.version,
    },
    machine: {
      cpu: (cpu as string[]).join(', ') || (cpus()[0]?.model ?? 'unknown'),
      cores: cores.length ? Math.max(...cores) : cpus().length,
      memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10, // GiB to 0.1 (23.5, not 23.54025650024414)
      platform: (env('platform') as string[]).join(', ') || process.platform,
    },
    threads: threads.length ? Math.max(...threads) : getNumThreads(),
    runtime_sec: jobs.reduce((a, j) => a + j.timing.job_sec, 0),
    started_at: new Date(starts.length ? Math.min(...starts) : 0).toISOString(),
    jobs: jobs.length,
    ...(ids.length < jobs.length ? { jobs_without_identity: jobs.length - ids.length } : {}),
  };
}

/** Analytics over the job files of dirs, written (validated) to outDir/results.json. */
export function mergeResults(
  dirs: readonly string[],
  outDir: string,
  options: ReadJobsOptions & { regimes?: readonly Regime[] } = {},
): {
  results: Results;
  file: string;
  jobs: StoredJob[];
} {
  const jobs = readJobResults(dirs, options);
  const results = buildResults(jobs, runMetadata(jobs, options.regimes));
  return { results, file: writeResults(outDir, results), jobs };
}
export * from './lock.ts';
