// The output dir: one JSON file per finished job (written atomically: a killed run leaves either the whole
// file or none), and results.json + one JSONL per table, validated against results.schema.json on write.
// A job file carries its format, the identity of the configuration that produced it and that identity's
// fingerprint; it is validated against JOB_SCHEMA (and its name against its content) whenever it is read.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { CfinitError } from '../errors.ts';
import { fileError, makeDir, writeFileAtomic, writeFileIfChanged } from '../fsio.ts';
import { configFingerprint, JOB_FORMAT, type JobIdentity } from './identity.ts';
import { jobId, type Job } from './jobs.ts';
import type { CheckpointRow, OodRow, Results, TransferRow } from './results.ts';
import schema from './results.schema.json' with { type: 'json' };

/** What one finished job leaves behind. */
export interface JobResult {
  job: Job;
  /** anytime / low-data checkpoints, in step order */
  rows: CheckpointRow[];
  /** transfer: this fraction's row, and the cost shared by every fraction (paid once per model and seed) */
  transfer: { row: TransferRow; shared_compute_proxy: number; shared_wall_clock_sec: number } | null;
  ood: OodRow[];
  /** init_sec: the start (a charged fit, or the initializer). */
  timing: { init_sec: number; feature_sec: number; train_sec: number; eval_sec: number; job_sec: number };
  /** The closed-form fit the job read: rows it used (of n_train), the adaptive probe's rows, its seconds. */
  fit: { fit_rows: number; probe_rows: number; fit_sec: number; n_train: number } | null;
  peak_rss_mb: number;
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
}

/**
 * A job file: the result, the configuration it was computed under, its fingerprint and when it finished. A
 * format-1 file (cfinit before job identities) holds the result alone: identity null, read only by a merge
 * that allows mixed configurations, never reused by resume.
 */
export interface StoredJob extends JobResult {
  format: typeof JOB_FORMAT | typeof LEGACY_FORMAT;
  identity: JobIdentity | null;
  fingerprint: string | null;
  finished_at: string | null;
}

/** Job files written before they carried their identity (no `format` field). */
export const LEGACY_FORMAT = 1 as const;

export class ResultsError extends CfinitError {
  override name = 'ResultsError';
}

export const JOBS_DIR = 'jobs';

export function jobFile(outDir: string, id: string): string {
  return join(outDir, JOBS_DIR, `${id}.json`);
}

/** Writes the job's file (atomically, completely) with its identity and fingerprint. */
export function writeJobResult(outDir: string, result: JobResult, identity: JobIdentity): StoredJob {
  const stored: StoredJob = {
    format: JOB_FORMAT,
    identity,
    fingerprint: configFingerprint(identity),
    finished_at: new Date().toISOString(),
    ...result,
  };
  makeDir(join(outDir, JOBS_DIR));
  writeFileAtomic(jobFile(outDir, result.job.id), `${JSON.stringify(stored)}\n`);
  return stored;
}

const RESULTS = schema.$id;
const num = { type: 'number' };
const RESULT_FIELDS = ['job', 'rows', 'transfer', 'ood', 'timing', 'fit'] as const;
const JOB_SCHEMA = {
  type: 'object',
  required: ['format', 'identity', 'fingerprint', 'finished_at', ...RESULT_FIELDS],
  properties: {
    format: { const: JOB_FORMAT },
    fingerprint: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    finished_at: { type: 'string' },
    identity: {
      type: 'object',
      required: ['cfinit', 'libtorch', 'code', 'quick', 'rows', 'closedForm', 'checkpoints', 'userData', 'data'],
      properties: {
        cfinit: { type: 'string' },
        libtorch: { type: 'string' },
        code: { type: 'string' },
        quick: { type: 'boolean' },
        rows: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['nTrain', 'nTest'],
              properties: { nTrain: { type: 'integer', minimum: 1 }, nTest: { type: 'integer', minimum: 1 } },
            },
          ],
        },
        closedForm: { type: 'object' },
        checkpoints: { type: 'object', required: ['anytime', 'lowData'] },
        data: { type: 'string' },
      },
    },
    job: {
      type: 'object',
      required: ['id', 'scenario', 'regime', 'model', 'seed', 'fraction', 'fitFraction'],
      properties: {
        id: { type: 'string' },
        scenario: { type: 'string' },
        regime: { enum: ['anytime', 'low-data', 'transfer'] },
        model: { type: 'string' },
        seed: { type: 'integer', minimum: 0 },
        fraction: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        fitFraction: { anyOf: [{ const: 'auto' }, { type: 'number', exclusiveMinimum: 0, maximum: 1 }] },
      },
    },
    rows: { type: 'array', items: { $ref: `${RESULTS}#/definitions/checkpoint_row` } },
    ood: { type: 'array', items: { $ref: `${RESULTS}#/definitions/ood_row` } },
    transfer: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['row', 'shared_compute_proxy', 'shared_wall_clock_sec'],
          properties: {
            row: { $ref: `${RESULTS}#/definitions/transfer_row` },
            shared_compute_proxy: { type: 'number', minimum: 0 },
            shared_wall_clock_sec: { type: 'number', minimum: 0 },
          },
        },
      ],
    },
    timing: {
      type: 'object',
      required: ['init_sec', 'feature_sec', 'train_sec', 'eval_sec', 'job_sec'],
      properties: { init_sec: num, feature_sec: num, train_sec: num, eval_sec: num, job_sec: num },
    },
    fit: { anyOf: [{ type: 'null' }, { type: 'object' }] },
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(schema);
const validateJob = ajv.compile(JOB_SCHEMA);
// format 1: the same result fields, none of the identity ones
const validateLegacyJob = ajv.compile({
  ...JOB_SCHEMA,
  required: [...RESULT_FIELDS],
  not: { anyOf: ['format', 'identity', 'fingerprint'].map((k) => ({ required: [k] })) },
});

/** What a job file holds, as far as resume and merge are concerned. */
export type JobFileState =
  { state: 'absent' } | { state: 'invalid'; reason: string } | { state: 'valid'; stored: StoredJob };

/**
 * Reads and checks one job file: parses, matches JOB_SCHEMA, its name matches its content. With `legacy`, a
 * format-1 file (no identity) is read too, as a StoredJob of identity null.
 */
export function readJobFile(path: string, expectedId?: string, legacy = false): JobFileState {
  let text: string;
  try {
    if (!statSync(path).isFile()) return { state: 'invalid', reason: 'is not a file' };
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    fileError(err, path, 'read the job file');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { state: 'invalid', reason: `not JSON (${text.length === 0 ? 'empty' : (err as Error).message})` };
  }
  const old = legacy && validateLegacyJob(parsed);
  if (!old && !validateJob(parsed)) {
    const e = validateJob.errors?.[0];
    const format = (parsed as { format?: unknown } | null)?.format;
    if (parsed !== null && typeof parsed === 'object' && format !== JOB_FORMAT) {
      return { state: 'invalid', reason: `job file format ${String(format ?? 1)}, expected ${JOB_FORMAT}` };
    }
    return { state: 'invalid', reason: `does not match the job file schema: ${e?.instancePath || '/'} ${e?.message}` };
  }
  const stored = old
    ? { ...(parsed as JobResult), format: LEGACY_FORMAT, identity: null, fingerprint: null, finished_at: null }
    : (parsed as unknown as StoredJob);
  const { id, ...fields } = stored.job;
  if (jobId(fields, stored.identity?.userData ?? null) !== id)
    return { state: 'invalid', reason: `job id '${id}' does not match its fields` };
  if (expectedId !== undefined && id !== expectedId) {
    return { state: 'invalid', reason: `holds job '${id}', not '${expectedId}'` };
  }
  const rows = [...stored.rows, ...stored.ood, ...(stored.transfer ? [stored.transfer.row] : [])];
  const j = stored.job;
  const off = rows.find(
    (r) => r.scenario !== j.scenario || r.model !== j.model || r.seed !== j.seed || r.data_fraction !== j.fraction,
  );
  if (off)
    return { state: 'invalid', reason: `a row of ${off.scenario} ${off.model} seed ${off.seed} is not job '${id}'` };
  if (stored.identity && configFingerprint(stored.identity) !== stored.fingerprint) {
    return { state: 'invalid', reason: 'its fingerprint does not match its identity' };
  }
  return { state: 'valid', stored };
}

/** Ids of the jobs in outDir/jobs (by file name). */
export function jobFileIds(outDir: string): string[] {
  const dir = join(outDir, JOBS_DIR);
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    fileError(err, dir, 'list the job files');
  }
  return names
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export interface ReadJobsOptions {
  /** Merge jobs of different fingerprints, and format-1 files of no identity (else a ResultsError naming both). */
  allowMixed?: boolean;
  /** Only these job ids (a bench run aggregates its own jobs, not whatever else lies in its dir). */
  only?: ReadonlySet<string>;
}

/** The identity fields where a and b differ (across scenarios, the data and closed-form shape may). */
function identityDiff(a: JobIdentity | null, b: JobIdentity | null, acrossScenarios: boolean): string[] {
  if (a === null || b === null) return a === b ? [] : ['identity (one is a format-1 file without it)'];
  const perScenario = ['data', 'closedForm'];
  return (Object.keys(a) as (keyof JobIdentity)[]).filter(
    (k) => !(acrossScenarios && perScenario.includes(k)) && JSON.stringify(a[k]) !== JSON.stringify(b[k]),
  );
}

const sameResult = (a: StoredJob, b: StoredJob) =>
  a.fingerprint === b.fingerprint &&
  JSON.stringify([a.rows, a.ood, a.transfer]) === JSON.stringify([b.rows, b.ood, b.transfer]);

/**
 * Every job result in the given dirs, each file validated. A job found in several dirs counts once when the
 * copies agree; copies that disagree, and (unless allowMixed) jobs of different fingerprints, are errors.
 */
export function readJobResults(dirs: readonly string[], options: ReadJobsOptions = {}): StoredJob[] {
  const byId = new Map<string, { stored: StoredJob; path: string }>();
  let first: { stored: StoredJob; path: string } | null = null;
  const firstOf = new Map<string, { stored: StoredJob; path: string }>();
  for (const outDir of dirs) {
    const dir = join(outDir, JOBS_DIR);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fileError(err, dir, 'read the job files');
    }
    if (!isDir) throw new ResultsError(`${outDir}: no ${JOBS_DIR}/ folder of job results found`);
    for (const id of jobFileIds(outDir)) {
      if (options.only && !options.only.has(id)) continue;
      const path = jobFile(outDir, id);
      const read = readJobFile(path, id, options.allowMixed);
      if (read.state !== 'valid') {
        // a format-1 file is usable, unchecked, with --allow-mixed: say so
        const old = !options.allowMixed && readJobFile(path, id, true).state === 'valid';
        const reason = read.state === 'invalid' ? read.reason : 'gone';
        throw new ResultsError(
          `${path}: not a usable job result: ${reason}${old ? '; merge format-1 files only with --allow-mixed' : ''}`,
        );
      }
      const here = { stored: read.stored, path };
      const seen = byId.get(id);
      if (seen) {
        if (!sameResult(seen.stored, here.stored)) {
          throw new ResultsError(`${path} and ${seen.path} hold different results for job '${id}'; keep one`);
        }
        continue;
      }
      // one configuration per scenario (its data and closed-form shape), and one run setup across scenarios
      const sameScenario = firstOf.get(here.stored.job.scenario);
      const other = sameScenario ?? first;
      const differ = other ? identityDiff(here.stored.identity, other.stored.identity, !sameScenario) : [];
      if (other && differ.length > 0 && !options.allowMixed) {
        throw new ResultsError(
          `${path} and ${other.path} were computed under different configurations ` +
            `(${differ.join(', ')} differ); merge them only with --allow-mixed`,
        );
      }
      first ??= here;
      if (!sameScenario) firstOf.set(here.stored.job.scenario, here);
      byId.set(id, here);
    }
  }
  return [...byId.values()]
    .map((x) => x.stored)
    .sort((a, b) => (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0));
}

/** Throws a one-line ResultsError when results do not match results.schema.json. */
export function validateResults(results: unknown): asserts results is Results {
  if (!validate(results)) {
    const e = validate.errors?.[0];
    throw new ResultsError(`results.json does not match its schema: ${e?.instancePath || '/'} ${e?.message ?? ''}`);
  }
}

/**
 * results.json and <table>.jsonl for every table, each written atomically after schema validation, and only
 * when its content changed (a re-run with nothing new leaves the files as they were).
 */
export function writeResults(outDir: string, results: Results): string {
  validateResults(results);
  makeDir(outDir);
  const file = join(outDir, 'results.json');
  for (const [table, rows] of Object.entries(results)) {
    if (!Array.isArray(rows)) continue;
    writeFileIfChanged(join(outDir, `${table}.jsonl`), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
  writeFileIfChanged(file, `${JSON.stringify(results, null, 1)}\n`); // last: the tables it sums up are in place
  return file;
}
