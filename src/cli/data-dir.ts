// Which data a command reads: --data-dir, else CFINIT_DATA_DIR, else <repo>/../shared/data; `train` and
// `bench --quick` fall back to the samples shipped in <repo>/samples when none of those exists (a fresh clone).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { listFlag, QUICK_ROWS } from '../bench/index.ts';
import { SAMPLES_DIR } from '../data/index.ts';
import { ConfigError } from '../errors.ts';

/** Rows per scenario on the samples when --rows is not given (each sample holds at least these). */
export const SAMPLE_ROWS: Rows = { ...QUICK_ROWS };

const DATA_HELP =
  'get the datasets from their official sources (CoverType: UCI; CIFAR-100: cs.toronto.edu/~kriz; ' +
  'GLUE QNLI: gluebenchmark.com; WikiText-2: wikitext-2-v1.zip) or run `cfinit data download`, then pass --data-dir';

export interface Rows {
  nTrain: number;
  nTest: number;
}

export interface DataDir {
  dir: string;
  /** True when no data folder was found and the packaged samples stand in. */
  samples: boolean;
}

/** The dataset folder; with `samplesFallback`, the packaged samples when no folder is given or found. */
export function findDataDir(flag: string | undefined, samplesFallback: boolean): DataDir {
  if (flag) {
    if (!existsSync(flag)) throw new ConfigError(`--data-dir: ${flag} does not exist (expected the dataset folder)`);
    return { dir: resolve(flag), samples: false };
  }
  const env = process.env.CFINIT_DATA_DIR;
  if (env) {
    if (!existsSync(env)) throw new ConfigError(`CFINIT_DATA_DIR: ${env} does not exist (expected the dataset folder)`);
    return { dir: resolve(env), samples: false };
  }
  const shared = resolve(SAMPLES_DIR, '..', '..', 'shared', 'data');
  if (existsSync(shared)) return { dir: shared, samples: false };
  if (samplesFallback) return { dir: SAMPLES_DIR, samples: true };
  throw new ConfigError(`no dataset folder found (no --data-dir, no CFINIT_DATA_DIR, no ${shared}): ${DATA_HELP}`);
}

/** `--rows <train>,<test>`: two positive integers. */
export function rowsFlag(value: string): Rows {
  const counts = listFlag(value, '--rows').map((s) => {
    if (!/^\d+$/.test(s) || Number(s) < 1) throw new ConfigError(`--rows: expected positive integers, got '${s}'`);
    return Number(s);
  });
  const [nTrain, nTest, ...rest] = counts;
  if (nTrain === undefined || nTest === undefined || rest.length) {
    throw new ConfigError(`--rows: expected <train rows>,<test rows>, got '${value}'`);
  }
  return { nTrain, nTest };
}
