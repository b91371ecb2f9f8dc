// `cfinit train`: one model on one scenario, to its step budget. Shows a progress bar, prints the final
// metric, and writes <out>/weights.safetensors and <out>/metrics.json (the RunRecord) atomically as a pair.
import { seedValue } from '../../checks.ts';
import type { Command } from 'commander';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { parseFitFraction } from '../../bench/index.ts';
import { loadScenario, resolveCacheDir, scenarioEntry, REFERENCE_SCENARIOS } from '../../data/index.ts';
import { ConfigError } from '../../errors.ts';
import { fileError, makeDir, syncDir, writeFileAtomic } from '../../fsio.ts';
import { isProcessAlive } from '../../staging.ts';
import { REFERENCE } from '../../reference.ts';
import { serialize, type Tensor } from '../../torch/index.ts';
import { MODELS, RunLog, fitRowsOf, modelSpec, runModel, type ModelSpec, type RunRecord } from '../../train/index.ts';
import { findDataDir, rowsFlag, SAMPLE_ROWS } from '../data-dir.ts';
import { createProgress, phaseLines, type Progress } from '../progress.ts';
import { addUserDataOptions, userDataOptions, type UserDataFlags } from './user-data.ts';

interface TrainFlags extends UserDataFlags {
  scenario?: string;
  data?: string;
  logDir?: string;
  json?: boolean;
  model: string;
  seed: string;
  steps?: string;
  fitFraction: string;
  dataDir?: string;
  rows?: string;
  out?: string;
}

/** A flag holding a non-negative (or, with min 1, positive) integer, written in decimal digits. */
function intFlag(value: string, flag: string, min = 0): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`${flag} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer, got '${value}'`);
  }
  return n;
}

/** --steps checked before any data is read: an analytic model takes 0 (or none), the others a positive count. */
function stepsFlag(spec: ModelSpec, flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (spec.protocol !== 'analytic') return intFlag(flag, '--steps', 1);
  if (intFlag(flag, '--steps') !== 0) {
    throw new ConfigError(`--steps of ${spec.name} must be 0 (it takes no gradient steps), got '${flag}'`);
  }
  return 0;
}

/** The files a run folder holds; a folder with anything else is not a run folder and is never replaced. */
export const RUN_FILES = ['weights.safetensors', 'metrics.json'] as const;

/** Whether dir holds only run files (an empty folder does too); false for anything that is not a folder. */
function onlyRunFiles(dir: string): { ok: boolean; others: string[] } {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return { ok: false, others: [] };
  const others = readdirSync(dir).filter(
    (n) => !(RUN_FILES as readonly string[]).includes(n) || !lstatSync(join(dir, n)).isFile(),
  );
  return { ok: others.length === 0, others };
}

/**
 * Leftovers of a killed `train` to this target, beside it: `.<name>.partial-<pid>` (the new files, not yet
 * swapped in) is removed; `.<name>.partial-<pid>.old` (the previous run, moved aside) is put back when the
 * target is missing (killed between the two renames) and removed when the new run is in place. Only folders
 * of dead processes holding run files only are touched.
 */
function recoverRunFolder(target: string): void {
  const parent = dirname(target);
  const prefix = `.${basename(target)}.partial-`;
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return; // no parent yet
  }
  for (const name of names.filter((n) => n.startsWith(prefix)).sort((x, y) => y.length - x.length)) {
    const m = /^(\d+)(\.old)?$/.exec(name.slice(prefix.length));
    const path = join(parent, name);
    if (!m || isProcessAlive(Number(m[1])) || !onlyRunFiles(path).ok) continue;
    if (m[2] && !existsSync(target)) renameSync(path, target);
    else rmSync(path, { recursive: true, force: true });
  }
}

/** Throws a ConfigError unless target is absent, an empty folder or a previous run's folder. */
function checkRunTarget(out: string, target: string): void {
  const cwd = process.cwd();
  if (target === cwd || cwd.startsWith(target.endsWith(sep) ? target : `${target}${sep}`)) {
    throw new ConfigError(`--out ${out}: is the working folder or contains it; give a folder for the run files`);
  }
  const stat = lstatSync(target, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isSymbolicLink()) {
    throw new ConfigError(`--out ${out}: is a symbolic link; cfinit does not write through links (give the real path)`);
  }
  if (!stat.isDirectory()) throw new ConfigError(`--out ${out}: exists and is not a folder; refusing to replace it`);
  const { ok, others } = onlyRunFiles(target);
  if (!ok) {
    const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ', …' : '');
    throw new ConfigError(
      `--out ${out}: holds files that are not a run's (${shown}); cfinit replaces only an empty folder or a ` +
        `previous run (${RUN_FILES.join(', ')}): choose another --out`,
    );
  }
}

/** Recovers a killed run's leftovers and checks <out> can take the run files (before any work is done). */
export function prepareRunFolder(out: string): string {
  if (out.trim() === '')
    throw new ConfigError("--out: got '' (an unset variable?); expected a folder for the run files");
  const target = resolve(out);
  try {
    recoverRunFolder(target);
    checkRunTarget(out, target);
    makeDir(dirname(target));
  } catch (err) {
    fileError(err, out, 'prepare the run folder');
  }
  return target;
}

/**
 * Writes both files into a sibling staging folder, then swaps it in for <out>: a reader sees the old pair or
 * the new pair, never one new file beside one old. <out> must be absent, empty or a previous run folder.
 */
export function writeRunFiles(
  out: string,
  files: Partial<Record<(typeof RUN_FILES)[number], string | Uint8Array>>,
): void {
  const target = prepareRunFolder(out);
  const staging = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  const old = `${staging}.old`;
  try {
    rmSync(staging, { recursive: true, force: true }); // this process's own, from an earlier call
    mkdirSync(staging);
    for (const [name, content] of Object.entries(files)) writeFileAtomic(join(staging, name), content!);
    if (existsSync(target)) {
      renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
    syncDir(dirname(target));
  } catch (err) {
    if (existsSync(old) && !existsSync(target)) renameSync(old, target);
    rmSync(staging, { recursive: true, force: true });
    fileError(err, out, 'write the run files');
  }
}

function summary(record: RunRecord): string {
  const last = record.checkpoints[record.checkpoints.length - 1]!;
  const m = last.metrics;
  const metric =
    m.metricName === 'accuracy'
      ? `accuracy ${m.accuracy.toFixed(4)}`
      : `validation cross-entropy ${m.nll.toFixed(4)} (perplexity ${m.perplexity!.toFixed(1)})`;
  const { initSec, featureSec, trainSec } = record.timing;
  return (
    `${record.scenario} ${record.model} seed ${record.seed}: ${metric}, nll ${m.nll.toFixed(4)}, ` +
    `ece ${m.ece.toFixed(4)} ` +
    `after ${record.stepsTotal} steps; wall-clock ${last.wallClockSec.toFixed(2)} s ` +
    `(start ${initSec.toFixed(2)} s, features ${featureSec.toFixed(2)} s, train ${trainSec.toFixed(2)} s)`
  );
}

export function registerTrain(program: Command): void {
  const models = MODELS.map((m) => `${m.name} (${m.description})`).join('; ');
  const train = program
    .command('train')
    .description('train one model on one scenario; writes <out>/weights.safetensors and <out>/metrics.json')
    .option('--scenario <name>', `one of ${REFERENCE_SCENARIOS.map((e) => e.name).join(', ')}`)
    .option(
      '--data <spec>',
      'your own data instead of --scenario: csv:FILE (MLP), text:FILE (transformer classifier), lm:DIR ' +
        '(train.txt + valid.txt, next token), images:DIR (DIR/<class>/*.png|jpg)',
    )
    .requiredOption('--model <name>', `one of: ${models}`)
    .option('--seed <n>', 'seed of every random draw of the run', String(REFERENCE.seeds[0]))
    .option('--steps <n>', "step budget (default: the model's own; a finetune start: compute-matched to backprop)")
    .option('--fit-fraction <f>', 'fraction of the training rows the closed-form fit uses (1, 0.0625, 1/16, auto)', '1')
    .option(
      '--data-dir <dir>',
      'dataset folder (default: $CFINIT_DATA_DIR, else <repo>/../shared/data, else the packaged samples)',
    )
    .option(
      '--rows <train,test>',
      "train and test rows (default: the scenario's own; on the packaged samples: " +
        `${SAMPLE_ROWS.nTrain},${SAMPLE_ROWS.nTest})`,
    )
    .option('--out <dir>', 'output folder (default: runs/<scenario>-<model>-seed<seed>)')
    .option('--log-dir <dir>', 'write <dir>/<run>.jsonl and .csv: every step (loss, lr, seconds) and evaluation')
    .option('--json', 'print the run record (metrics.json) on stdout, and nothing else there');
  addUserDataOptions(train).action(async (flags: TrainFlags) => {
    if (flags.scenario !== undefined && flags.data !== undefined) {
      throw new ConfigError('pass --scenario or --data, not both');
    }
    const scenarioFlag = flags.data !== undefined ? '--data' : '--scenario';
    const scenarioName = flags.data ?? flags.scenario;
    if (scenarioName === undefined)
      throw new ConfigError('--data <spec> (your own data) or --scenario <name> is required');
    const entry = scenarioEntry(scenarioName, scenarioFlag);
    const userData = userDataOptions(flags);
    const spec = modelSpec(flags.model, '--model');
    const model = spec.name;
    const name = entry.name;
    const seed = seedValue(/^\s*\d+\s*$/.test(flags.seed) ? Number(flags.seed) : flags.seed, '--seed');
    const steps = stepsFlag(spec, flags.steps);
    const fitFraction = parseFitFraction(flags.fitFraction);
    const runName = `${name.replace(/[^\w.-]+/g, '_')}-${model}-seed${seed}`;
    const out = flags.out ?? join('runs', runName);
    prepareRunFolder(out); // refuse a target that is not ours before any work
    // a user's data names its own files; a reference scenario falls back to the packaged samples without data
    const reference = REFERENCE_SCENARIOS.some((e) => e.name === name);
    const data = reference ? findDataDir(flags.dataDir, true) : { dir: resolve('.'), samples: false };
    const rows = flags.rows ? rowsFlag(flags.rows) : data.samples ? SAMPLE_ROWS : undefined;
    if (data.samples) {
      process.stderr.write(
        `cfinit train: no dataset folder found (no --data-dir, no CFINIT_DATA_DIR, no ../shared/data): ` +
          `running on the packaged samples in ${data.dir}, ${rows!.nTrain} train and ${rows!.nTest} test rows\n`,
      );
    }
    let progress: Progress | null = null;
    // before the bar, and after it stops, plain lines; while it runs, lines above it
    const onPhase = phaseLines((line) => (progress ? progress.log(line) : process.stderr.write(`${line}\n`)));
    // The run's seed also draws the train/test rows, as the benchmark does for each seed.
    const loadStart = performance.now();
    const cacheDir = resolveCacheDir();
    const scenario = await loadScenario(name, { dataDir: data.dir, cacheDir, seed, data: userData, ...rows });
    onPhase('loading', (performance.now() - loadStart) / 1000, name);
    const fitRows = fitRowsOf(fitFraction, scenario.train.labels.size(0));
    const log = flags.logDir === undefined ? undefined : new RunLog(flags.logDir, runName);

    let weights: Buffer | null = null;
    let started = 0;
    let record: RunRecord;
    try {
      record = runModel(scenario, model, {
        seed,
        steps,
        log,
        checkpointFractions: REFERENCE.regimes.anytimeFractions,
        fitOptions: { seed, ...REFERENCE.closedForm[scenario.architecture], fitRows },
        onPhase,
        onProgress: (step, total, loss) => {
          if (!progress) {
            progress = createProgress(`${name} ${model}`, total);
            started = performance.now();
          }
          const seconds = (performance.now() - started) / 1000; // since the end of step 1
          progress.update(step, { loss, 'steps/s': step > 1 && seconds > 0 ? (step - 1) / seconds : 0 });
        },
        onWeights: (tensors: Record<string, Tensor>, scalars) => {
          const metadata: Record<string, string> = { scenario: name, model, seed: String(seed) };
          for (const [k, v] of Object.entries(scalars)) metadata[k] = String(v);
          weights = serialize(tensors, metadata);
        },
      });
    } finally {
      log?.close();
      (progress as Progress | null)?.stop();
    }
    if (!weights) throw new Error('train: the run returned no weights');
    writeRunFiles(out, { 'weights.safetensors': weights, 'metrics.json': `${JSON.stringify(record, null, 2)}\n` });
    // With --json, stdout carries the record alone; the human lines go to stderr.
    const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
    say(summary(record));
    say(`wrote ${join(out, 'weights.safetensors')} and ${join(out, 'metrics.json')}`);
    if (log) say(`logged ${log.jsonl} and ${log.csv}`);
    if (flags.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  });
}
