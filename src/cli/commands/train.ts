// `cfinit train`: one model on one scenario, to its step budget. Shows a progress bar, prints the final
// metric, and writes <out>/weights.safetensors and <out>/metrics.json (the RunRecord) atomically as a pair.
import type { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseFitFraction } from '../../bench/index.ts';
import { loadScenario, resolveCacheDir, scenarioEntry, REFERENCE_SCENARIOS } from '../../data/index.ts';
import { ConfigError } from '../../errors.ts';
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

/**
 * Writes both files into a fresh sibling folder, then swaps it in for <out>: a reader sees the old pair or
 * the new pair, never one new file beside one old.
 */
export function writeRunFiles(out: string, files: Record<string, string | Uint8Array>): void {
  const target = resolve(out);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    chmodSync(staging, 0o777 & ~process.umask()); // mkdtemp makes it 0700
    for (const [name, content] of Object.entries(files)) writeFileSync(join(staging, name), content);
    if (existsSync(target)) {
      const old = `${staging}.old`;
      renameSync(target, old);
      renameSync(staging, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(staging, target);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
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
    const seed = intFlag(flags.seed, '--seed');
    const steps = stepsFlag(spec, flags.steps);
    const fitFraction = parseFitFraction(flags.fitFraction);
    const runName = `${name.replace(/[^\w.-]+/g, '_')}-${model}-seed${seed}`;
    const out = flags.out ?? join('runs', runName);
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
    try {
      writeRunFiles(out, { 'weights.safetensors': weights, 'metrics.json': `${JSON.stringify(record, null, 2)}\n` });
    } catch (err) {
      if (!(err as NodeJS.ErrnoException).code) throw err;
      throw new ConfigError(`--out ${out}: cannot write the run files (${(err as Error).message})`);
    }
    // With --json, stdout carries the record alone; the human lines go to stderr.
    const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
    say(summary(record));
    say(`wrote ${join(out, 'weights.safetensors')} and ${join(out, 'metrics.json')}`);
    if (log) say(`logged ${log.jsonl} and ${log.csv}`);
    if (flags.json) process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
  });
}
