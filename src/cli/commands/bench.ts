// `cfinit bench`: the reference benchmark as resumable, shardable jobs, then results.json and a summary table.
// `cfinit bench merge <dirs…>`: the analytics over job files from several (sharded) runs.
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import {
  checkConfig,
  defaultConfig,
  listFlag,
  mergeResults,
  parseFitFraction,
  parseShard,
  planJobs,
  runJobs,
  runMetadata,
  scenarioGroupOpener,
  shardJobs,
  summaryText,
  type BenchConfig,
  type Regime,
} from '../../bench/index.ts';
import { REFERENCE_SCENARIOS, resolveCacheDir } from '../../data/index.ts';
import { ConfigError } from '../../errors.ts';
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
    const shard = flags.shard ? parseShard(flags.shard) : null;
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
    const started = new Date();
    const t0 = performance.now();
    const which = shard ? ` (shard ${flags.shard} of ${all.length})` : '';
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
      await runJobs(jobs, { outDir: flags.out, open, progress, onResume });
    } finally {
      progress.stop(); // clears the bar: the summary below starts on a clean line
    }
    if (shard) {
      process.stdout.write(`shard ${flags.shard} done; merge with: cfinit bench merge <dirs…> --out <dir>\n`);
      return;
    }
    const runtime = (performance.now() - t0) / 1000;
    const metadata = (js: unknown[]) => runMetadata(config, js.length, runtime, started);
    const { results, file } = mergeResults([flags.out], flags.out, metadata);
    if (flags.json) {
      process.stderr.write(`${summaryText(results)}\n\nwrote ${file}\n`);
      process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
    } else {
      process.stdout.write(`${summaryText(results)}\n\nwrote ${file}\n`);
    }
  });

  bench
    .command('merge')
    .description('build results.json from the job files of one or more results dirs (e.g. the shards of a run)')
    .argument('<dirs...>', 'results dirs holding jobs/')
    .option('--out <dir>', 'where to write results.json (default: the first dir)')
    .option('--quick', 'the dirs hold a --quick run (recorded in the metadata)')
    .action((dirs: string[], own: { out?: string; quick?: boolean }, cmd: Command) => {
      // `bench` declares --out and --quick too, and commander hands them to it: take them from there when given.
      const parent = cmd.parent!;
      const given = (k: string) => (parent.getOptionValueSource(k) === 'cli' ? parent.opts()[k] : undefined);
      const flags = { out: own.out ?? (given('out') as string | undefined), quick: own.quick ?? given('quick') };
      const out = flags.out ?? dirs[0]!;
      const started = new Date();
      const { results, file } = mergeResults(dirs, out, (js) => {
        const c = defaultConfig(Boolean(flags.quick));
        const has = <T>(xs: T[]) => [...new Set(xs)];
        c.scenarios = has(js.map((j) => j.job.scenario));
        c.seeds = has(js.map((j) => j.job.seed)).sort((a, b) => a - b);
        c.models = has(js.map((j) => j.job.model));
        const runtime = js.reduce((a, j) => a + j.timing.job_sec, 0);
        return runMetadata(c, js.length, runtime, started);
      });
      process.stdout.write(`${summaryText(results)}\n\nwrote ${file}\n`);
    });
}
