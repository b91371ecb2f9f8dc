// `cfinit bench`: the reference benchmark as resumable, shardable jobs, then results.json and a summary table.
// `cfinit bench merge <dirs…>`: the analytics over job files from several (sharded) runs.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import {
  acquireLock,
  benchIdentity,
  checkConfig,
  defaultConfig,
  listFlag,
  mergeResults,
  parseFitFraction,
  parseShard,
  planJobs,
  runJobs,
  scenarioGroupOpener,
  shardJobs,
  summaryText,
  JOBS_DIR,
  type BenchConfig,
  type Regime,
} from '../../bench/index.ts';
import { REFERENCE_SCENARIOS, resolveCacheDir } from '../../data/index.ts';
import { ConfigError } from '../../errors.ts';
import { makeDir } from '../../fsio.ts';
import { MODELS, MODEL_NAMES } from '../../train/index.ts';
import { findDataDir, rowsFlag } from '../data-dir.ts';
import { createProgress, phaseLines } from '../progress.ts';
import { addUserDataOptions, userDataOptions, type UserDataFlags } from './user-data.ts';

interface BenchFlags extends UserDataFlags {
  scenarios?: string;
  data?: string;
  logDir?: string;
  json?: boolean;
  seeds?: string;
  regimes?: string;
  models?: string;
  fitFractions?: string;
  dataDir?: string;
  out: string;
  shard?: string;
  quick?: boolean;
  rows?: string;
  /** false with --no-fit-cache */
  fitCache: boolean;
}

function intList(value: string, name: string): number[] {
  return listFlag(value, name).map((s) => {
    if (!/^\d+$/.test(s)) throw new ConfigError(`${name}: expected non-negative integers, got '${s}'`);
    return Number(s);
  });
}

export function configFromFlags(flags: BenchFlags): BenchConfig {
  const c = defaultConfig(Boolean(flags.quick));
  if (flags.scenarios) c.scenarios = listFlag(flags.scenarios, '--scenarios');
  // --data adds a user's data set: alone, or beside the scenarios --scenarios names
  if (flags.data !== undefined) c.scenarios = [...(flags.scenarios ? c.scenarios : []), flags.data];
  c.data = userDataOptions(flags) ?? null;
  if (flags.seeds) c.seeds = intList(flags.seeds, '--seeds');
  if (flags.regimes) c.regimes = listFlag(flags.regimes, '--regimes') as Regime[];
  if (flags.models) c.models = flags.models.trim() === 'all' ? [...MODEL_NAMES] : listFlag(flags.models, '--models');
  if (flags.fitFractions) c.fitFractions = listFlag(flags.fitFractions, '--fit-fractions').map(parseFitFraction);
  if (flags.rows) c.rows = rowsFlag(flags.rows);
  return checkConfig(c);
}

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('run the benchmark (resumable jobs under <out>/jobs), write <out>/results.json, print a summary')
    .option('--scenarios <list>', 'comma-separated scenarios (default: all four)')
    .option('--data <spec>', 'your own data: csv:FILE, text:FILE, lm:DIR or images:DIR (alone, or with --scenarios)')
    .option('--seeds <list>', 'comma-separated seeds (default: 7,11,19; --quick: 7)')
    .option('--regimes <list>', 'comma-separated of anytime, low-data, transfer, ood (default: all)')
    .option(
      '--models <list>',
      `comma-separated of ${MODELS.map((m) => m.name).join(', ')}, or all ` +
        `(default: ${MODELS.filter((m) => m.byDefault)
          .map((m) => m.name)
          .join(', ')}); a model that does not apply to a scenario is skipped with a line`,
    )
    .option(
      '--fit-fractions <list>',
      'fractions of the training rows the closed-form fit uses, each a run of every model that reads the fit ' +
        '(e.g. 1,1/16,auto; default 1, the reference)',
    )
    .option('--data-dir <dir>', 'dataset folder (default: $CFINIT_DATA_DIR, else <repo>/../shared/data)')
    .option('--out <dir>', 'results folder', 'results')
    .option('--rows <train,test>', 'train and test rows per scenario (default: the reference sizes; --quick: 400,200)')
    .option('--shard <i/n>', 'run only shard i of n (jobs balanced by estimated cost); merge the dirs afterwards')
    .option('--no-fit-cache', 'refit every closed-form encoder (default: fits and features kept in <cache dir>/fits)')
    .option(
      '--quick',
      'scaled-down smoke run (a few hundred rows per scenario, one seed); ' +
        'runs on the packaged samples when no data is found',
    )
    .option('--log-dir <dir>', 'write <dir>/<job id>.jsonl and .csv: every step (loss, lr, seconds) and evaluation')
    .option('--json', 'print results.json on stdout instead of the summary table (which goes to stderr)');
  addUserDataOptions(bench);
  bench.action(async (flags: BenchFlags) => {
    const config = configFromFlags(flags);
    const shard = flags.shard !== undefined ? parseShard(flags.shard) : null; // '' is an error, not everything
    // a user's data sets name their own files: the dataset folder is looked for only for a reference scenario
    const reference = config.scenarios.some((name) => REFERENCE_SCENARIOS.some((e) => e.name === name));
    const dataDir = reference ? findDataDir(flags.dataDir, config.quick).dir : resolve('.');
    const plan = planJobs(config);
    const named = flags.models?.trim() !== 'all'; // --models all means every applicable one, silently
    if (named)
      for (const skip of plan.skipped)
        process.stderr.write(`cfinit bench: skipping ${skip.model} on ${skip.scenario}: ${skip.reason}\n`);
    const all = plan.jobs;
    const jobs = shard ? shardJobs(all, shard) : all;
    const which = shard ? ` (shard ${flags.shard} of ${all.length})` : '';
    const release = acquireLock(flags.out); // one bench per results folder
    try {
      const identity = benchIdentity(config, dataDir);
      // the header first: a line written after the bar starts would land on the bar's own line
      process.stderr.write(
        `cfinit bench: ${jobs.length} jobs${which}, ` +
          `data ${reference ? dataDir : config.scenarios.join(', ')}, results ${resolve(flags.out)}\n`,
      );
      const progress = createProgress('bench', jobs.length);
      try {
        const cacheDir = resolveCacheDir();
        const fitCache = {
          dir: flags.fitCache ? join(cacheDir, 'fits') : null,
          say: (line: string) => progress.log(line),
        };
        const open = scenarioGroupOpener(config, dataDir, cacheDir, {
          fitCache,
          onPhase: phaseLines(progress.log),
          logDir: flags.logDir ?? null,
        });
        const onResume = (done: number) => progress.log(`cfinit bench: ${done} jobs done, skipping`);
        const onRecompute = (job: { id: string }, reason: string) =>
          progress.log(`cfinit bench: recomputing ${job.id}: ${reason}`);
        const onSkip = (job: { id: string }, reason: string) =>
          progress.log(`cfinit bench: skipping ${job.id}: ${reason} at these sizes (no step left to compare)`);
        await runJobs(jobs, { outDir: flags.out, open, identity, progress, onResume, onRecompute, onSkip });
      } finally {
        progress.stop(); // clears the bar: the summary below starts on a clean line
      }
      if (shard) {
        makeDir(join(flags.out, JOBS_DIR)); // an empty shard (more shards than jobs) still merges
        process.stdout.write(`shard ${flags.shard} done; merge with: cfinit bench merge <dirs…> --out <dir>\n`);
        return;
      }
      // this run's jobs only (the folder may hold others), all of this configuration (resume made sure)
      const only = new Set(jobs.map((j) => j.id));
      const { results, file } = mergeResults([flags.out], flags.out, { only, regimes: config.regimes });
      if (flags.json) {
        process.stderr.write(`${summaryText(results)}\n\nwrote ${file}\n`);
        process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
      } else {
        process.stdout.write(`${summaryText(results)}\n\nwrote ${file}\n`);
      }
    } finally {
      release();
    }
  });

  bench
    .command('merge')
    .description('build results.json from the job files of one or more results dirs (e.g. the shards of a run)')
    .argument('<dirs...>', 'results dirs holding jobs/')
    .option('--out <dir>', 'where to write results.json (default: the first dir)')
    .option(
      '--allow-mixed',
      'merge jobs computed under different configurations (rows, --quick, data, version) and format-1 job ' +
        'files (no identity, counted as jobs_without_identity); the metadata then lists every version and any ' +
        '--quick job marks the whole as quick',
    )
    .action((dirs: string[], own: { out?: string; allowMixed?: boolean }, cmd: Command) => {
      // `bench` declares --out too, and commander hands it to it: take it from there when given.
      const parent = cmd.parent!;
      const given = (k: string) => (parent.getOptionValueSource(k) === 'cli' ? parent.opts()[k] : undefined);
      const out = own.out ?? (given('out') as string | undefined) ?? dirs[0]!;
      // what was merged is read from the jobs (seeds, models, --quick, versions), never from flags
      const { results, file } = mergeResults(dirs, out, { allowMixed: Boolean(own.allowMixed) });
      process.stdout.write(`${summaryText(results)}\n\nwrote ${file}\n`);
    });
}
