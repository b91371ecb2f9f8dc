// What a stored result was computed from. A job file is keyed by its job id (scenario, regime, model, seed,
// fractions) AND a fingerprint of everything else that changes its numbers: the cfinit and libtorch versions,
// the code digest, the row counts, --quick, the closed-form shapes, the checkpoint fractions and the dataset files' contents.
// Resume recomputes a job whose fingerprint differs; merge refuses mixed fingerprints unless asked.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { scenarioEntry } from '../data/index.ts';
import { fileError } from '../fsio.ts';
import { versions } from '../torch/index.ts';
import { codeDigest } from '../train/index.ts';
import type { BenchConfig, ClosedFormConfig } from './config.ts';

/** The job file format; a file of another format is not reused (resume recomputes it, merge refuses it). */
export const JOB_FORMAT = 2;

/** Everything besides the job id that decides a job's numbers (stored, readable, in every job file). */
export interface JobIdentity {
  cfinit: string;
  libtorch: string;
  /** codeDigest(): the sources that compute fits, features and training, and the native addon's bytes. */
  code: string;
  quick: boolean;
  /** Train/test rows; null: the scenario's own sizes. */
  rows: { nTrain: number; nTest: number } | null;
  /** The closed-form encoder's shape and λ for the scenario's architecture. */
  closedForm: ClosedFormConfig['mlp'];
  checkpoints: { anytime: number[]; lowData: number[] };
  /** How a user's data is read (label column, test split, …); null for the reference scenarios. */
  userData: BenchConfig['data'];
  /** sha256 (first 32 hex digits) over the scenario's dataset files: relative path, size and bytes. */
  data: string;
}

/** JSON with object keys sorted at every level (the same value always gives the same text). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The fingerprint of a configuration: sha256 (first 32 hex digits) of its canonical JSON. The one function
 * every stored result is keyed by (job files here; anything else cached on disk should use it too).
 */
export function configFingerprint(identity: object): string {
  return createHash('sha256').update(canonical(identity)).digest('hex').slice(0, 32);
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Files under root (sorted, recursive; hidden entries skipped). */
function filesUnder(root: string): string[] {
  let stat;
  try {
    stat = statSync(root);
  } catch (err) {
    fileError(err, root, 'read the dataset');
  }
  if (!stat.isDirectory()) return [root];
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch (err) {
    fileError(err, root, 'list the dataset folder');
  }
  return names.filter((n) => !n.startsWith('.')).flatMap((n) => filesUnder(join(root, n)));
}

const dataDigests = new Map<string, string>();

/**
 * The digest of a scenario's dataset files: the entries of dataDir named after its dataset ('cifar-100…' for
 * cifar100), else a user scenario's own file, else the whole of dataDir. Computed once per process.
 */
export function dataDigest(scenario: string, dataDir: string): string {
  const entry = scenarioEntry(scenario);
  const root = resolve(dataDir);
  const key = `${scenario}\0${root}`;
  const known = dataDigests.get(key);
  if (known) return known;
  const colon = scenario.indexOf(':');
  let files: string[];
  let base = root;
  if (colon > 0 && !entry.sizes) {
    // a user's data set names its own file or folder; one that is missing fails in its loader, not here
    const arg = resolve(scenario.slice(colon + 1));
    files = existsSync(arg) ? filesUnder(arg) : [];
    base = resolve(arg, '..');
  } else {
    let names: string[];
    try {
      names = readdirSync(root).sort();
    } catch (err) {
      fileError(err, root, 'list the dataset folder');
    }
    const own = names.filter((n) => squash(n).startsWith(squash(entry.dataset)));
    files = own.length > 0 ? own.flatMap((n) => filesUnder(join(root, n))) : filesUnder(root);
  }
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    hash.update(`${relative(base, file)}\0${statSync(file).size}\0`);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      fileError(err, file, 'read the dataset file');
    }
    try {
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  const digest = hash.digest('hex').slice(0, 32);
  dataDigests.set(key, digest);
  return digest;
}

/** The identity of the jobs of a scenario under a config, reading data from dataDir. */
export function jobIdentity(config: BenchConfig, scenario: string, dataDir: string): JobIdentity {
  return {
    cfinit: packageVersion(),
    libtorch: versions().torch,
    code: codeDigest(),
    quick: config.quick,
    rows: config.rows,
    closedForm: config.closedForm[scenarioEntry(scenario).architecture],
    checkpoints: { anytime: config.fractions.anytime, lowData: config.fractions.lowDataCheckpoints },
    userData: config.data ?? null,
    data: dataDigest(scenario, dataDir),
  };
}

/** The identity of each job of a run under config reading dataDir (one data digest per scenario). */
export function benchIdentity(config: BenchConfig, dataDir: string): (job: { scenario: string }) => JobIdentity {
  const known = new Map<string, JobIdentity>();
  return ({ scenario }) => {
    let identity = known.get(scenario);
    if (!identity) known.set(scenario, (identity = jobIdentity(config, scenario, dataDir)));
    return identity;
  };
}
