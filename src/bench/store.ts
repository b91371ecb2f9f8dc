// The output dir: one JSON file per finished job (written atomically: a killed run leaves either the whole
// file or none), and results.json + one JSONL per table, validated against results.schema.json on write.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import writeFileAtomic from 'write-file-atomic';
import { CfinitError } from '../errors.ts';
import type { Job } from './jobs.ts';
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

export class ResultsError extends CfinitError {
  override name = 'ResultsError';
}

export const JOBS_DIR = 'jobs';

export function jobFile(outDir: string, id: string): string {
  return join(outDir, JOBS_DIR, `${id}.json`);
}

export function writeJobResult(outDir: string, result: JobResult): void {
  mkdirSync(join(outDir, JOBS_DIR), { recursive: true });
  writeFileAtomic.sync(jobFile(outDir, result.job.id), `${JSON.stringify(result)}\n`);
}

/** Ids of the jobs already finished in outDir. */
export function finishedJobIds(outDir: string): Set<string> {
  const dir = join(outDir, JOBS_DIR);
  if (!existsSync(dir)) return new Set();
  return new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length)),
  );
}

/** Every job result in the given dirs (a job found in several dirs counts once). */
export function readJobResults(dirs: readonly string[]): JobResult[] {
  const byId = new Map<string, JobResult>();
  for (const outDir of dirs) {
    const dir = join(outDir, JOBS_DIR);
    if (!existsSync(dir)) throw new ResultsError(`${outDir}: no ${JOBS_DIR}/ folder of job results found`);
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const path = join(dir, f);
      let r: JobResult;
      try {
        r = JSON.parse(readFileSync(path, 'utf8')) as JobResult;
      } catch (err) {
        throw new ResultsError(`${path}: not a job result (${(err as Error).message})`);
      }
      if (!byId.has(r.job.id)) byId.set(r.job.id, r);
    }
  }
  return [...byId.values()].sort((a, b) => (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0));
}

const ajv = new Ajv({ allErrors: false, strict: false });
const validate = ajv.compile(schema);

/** Throws a one-line ResultsError when results do not match results.schema.json. */
export function validateResults(results: unknown): asserts results is Results {
  if (!validate(results)) {
    const e = validate.errors?.[0];
    throw new ResultsError(`results.json does not match its schema: ${e?.instancePath || '/'} ${e?.message ?? ''}`);
  }
}

/** results.json and <table>.jsonl for every table, each written atomically, after schema validation. */
export function writeResults(outDir: string, results: Results): string {
  validateResults(results);
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'results.json');
  writeFileAtomic.sync(file, `${JSON.stringify(results, null, 1)}\n`);
  for (const [table, rows] of Object.entries(results)) {
    if (!Array.isArray(rows)) continue;
    const lines = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    writeFileAtomic.sync(join(outDir, `${table}.jsonl`), lines);
  }
  return file;
}
