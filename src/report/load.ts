// Reads a benchmark's results.json: validated against the benchmark's JSON Schema when it ships one, and always
// checked for the tables the report reads, so a wrong file fails with one line naming the culprit.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CfinitError } from '../errors.ts';
import type { Results } from '../bench/results.ts';

/** The results file is missing, not JSON, or not the benchmark's shape. */
export class ResultsError extends CfinitError {
  override name = 'ResultsError';
}

const TABLES = [
  'anytime_summary',
  'targets',
  'compute_to_target_summary',
  'matched_summary',
  'ood_summary',
  'low_data_summary',
  'transfer_summary',
  'pareto_rows',
  'pareto_front',
] as const satisfies readonly (keyof Results)[];

const SCHEMA_PATH = fileURLToPath(new URL('../bench/results.schema.json', import.meta.url));

/** `path` is a results directory (holding results.json) or the file itself. */
export function resultsFile(path: string): string {
  if (!existsSync(path)) {
    throw new ResultsError(`results: ${path} does not exist (expected a benchmark results directory)`);
  }
  const file = statSync(path).isDirectory() ? join(path, 'results.json') : path;
  if (!existsSync(file)) throw new ResultsError(`results: ${file} not found (expected the benchmark's results.json)`);
  return file;
}

export function loadResults(path: string): Results {
  const file = resultsFile(path);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResultsError(`results: ${file} is not valid JSON (${(err as Error).message})`);
  }
  checkResults(data, file);
  return data as Results;
}

/** Schema validation when the benchmark's schema is present, then the structural checks the report relies on. */
export function checkResults(data: unknown, file: string): void {
  if (existsSync(SCHEMA_PATH)) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { $schema?: string };
    const draft2020 = String(schema.$schema).includes('2020-12');
    const ajv = draft2020 ? new Ajv2020({ strict: false }) : new Ajv({ strict: false });
    const validate = ajv.compile(schema);
    if (!validate(data)) {
      const e = validate.errors?.[0];
      throw new ResultsError(`results: ${file}${e?.instancePath || ''} ${e?.message ?? 'does not match the schema'}`);
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const got = Array.isArray(data) ? 'an array' : typeof data;
    throw new ResultsError(`results: ${file} must hold a JSON object of tables, got ${got}`);
  }
  const obj = data as Record<string, unknown>;
  for (const table of TABLES) {
    if (!Array.isArray(obj[table])) {
      throw new ResultsError(`results: ${file} has no '${table}' table (expected an array)`);
    }
  }
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (typeof meta !== 'object' || meta === null || !Array.isArray(meta.seeds)) {
    throw new ResultsError(`results: ${file} has no 'metadata' with 'seeds' (expected the run's metadata object)`);
  }
}
