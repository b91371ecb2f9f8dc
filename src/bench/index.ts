// cfinit's benchmark floor: jobs, the FLOPs proxy, the job loop, analytics and results.json.
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { getNumThreads, versions } from '../torch/index.ts';
import { buildResults } from './analytics.ts';
import type { BenchConfig } from './config.ts';
import type { Results, RunMetadata } from './results.ts';
import { readJobResults, writeResults, type JobResult } from './store.ts';

export * from './analytics.ts';
export * from './config.ts';
export * from './execute.ts';
export * from './jobs.ts';
export * from './proxy.ts';
export * from './run.ts';
export * from './store.ts';
export { summaryText } from './summary.ts';
export type * from './results.ts';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Seeds, fractions, versions, machine and threads of a run (runtime filled in by the caller). */
export function runMetadata(config: BenchConfig, jobs: number, runtimeSec: number, startedAt: Date): RunMetadata {
  return {
    seeds: config.seeds,
    scenarios: config.scenarios,
    models: config.models,
    regimes: config.regimes,
    fractions: {
      anytime: config.fractions.anytime,
      low_data: config.fractions.lowData,
      low_data_checkpoints: config.fractions.lowDataCheckpoints,
      transfer: config.fractions.transfer,
    },
    quick: config.quick,
    fit_fractions: config.fitFractions,
    versions: { cfinit: packageVersion(), libtorch: versions().torch, node: process.version },
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memory_gb: totalmem() / 2 ** 30,
      platform: process.platform,
    },
    threads: getNumThreads(),
    runtime_sec: runtimeSec,
    started_at: startedAt.toISOString(),
    jobs,
  };
}

/** Analytics over the job files of dirs, written (validated) to outDir/results.json. */
export function mergeResults(
  dirs: readonly string[],
  outDir: string,
  metadata: (jobs: JobResult[]) => RunMetadata,
): {
  results: Results;
  file: string;
  jobs: JobResult[];
} {
  const jobs = readJobResults(dirs);
  const results = buildResults(jobs, metadata(jobs));
  return { results, file: writeResults(outDir, results), jobs };
}
