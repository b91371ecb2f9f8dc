// Per-step logs of a run: <dir>/<name>.jsonl and <dir>/<name>.csv, one row per training step (step, loss, lr,
// seconds) and one per evaluation (the checkpoint's metrics), appended as the run goes so they can be followed.
// A log file is only ever replaced when it is a cfinit log; never written through a symlink.
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { CheckpointRecord } from './api.ts';

const COLUMNS = [
  'kind',
  'step',
  'loss',
  'lr',
  'seconds',
  'label',
  'metric_name',
  'metric_value',
  'accuracy',
  'nll',
  'ece',
] as const;
const CSV_HEADER = COLUMNS.join(',');

type Row = Partial<Record<(typeof COLUMNS)[number], string | number | null>>;

/** Where a run's step and evaluation rows go (a RunLog, or anything with these two methods). */
export interface StepLog {
  /** One training step: its loss, learning rate and the run's wall-clock so far (start + features + steps). */
  step(step: number, loss: number, lr: number, seconds: number): void;
  evaluation(checkpoint: CheckpointRecord): void;
}

/** True when a file's first line shows cfinit wrote it (so replacing it deletes nothing of the user's). */
function isOurs(file: string, firstLine: (line: string) => boolean): boolean {
  const head = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  return head === '' || firstLine(head);
}

/** Throws unless file is absent or a cfinit log (a regular file whose first line passes firstLine). */
function checkLog(file: string, firstLine: (line: string) => boolean): void {
  if (lstatExists(file)) {
    if (lstatSync(file).isSymbolicLink() || !lstatSync(file).isFile()) {
      throw new ConfigError(`--log-dir: ${file} is a symlink or not a file; cfinit writes logs only to its own files`);
    }
    if (!isOurs(file, firstLine)) {
      throw new ConfigError(`--log-dir: ${file} exists and is not a cfinit log; move it or pick another --log-dir`);
    }
  }
}

/** True for any directory entry, a dangling symlink included (existsSync follows links). */
function lstatExists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

export class RunLog implements StepLog {
  readonly jsonl: string;
  readonly csv: string;
  private readonly fds: [number, number];

  /** Opens <dir>/<name>.jsonl and .csv (name: a file-name-safe run id). */
  constructor(dir: string, name: string) {
    mkdirSync(dir, { recursive: true });
    this.jsonl = join(dir, `${name}.jsonl`);
    this.csv = join(dir, `${name}.csv`);
    // both checked before either is opened (truncated)
    checkLog(this.jsonl, (l) => /^\{"kind":"(step|eval)"/.test(l));
    checkLog(this.csv, (l) => l === CSV_HEADER);
    const json = openSync(this.jsonl, 'w');
    const csv = openSync(this.csv, 'w');
    this.fds = [json, csv];
    writeSync(csv, `${CSV_HEADER}\n`);
  }

  private write(row: Row): void {
    writeSync(this.fds[0], `${JSON.stringify(row)}\n`);
    const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
    writeSync(this.fds[1], `${COLUMNS.map((c) => cell(row[c])).join(',')}\n`);
  }

  step(step: number, loss: number, lr: number, seconds: number): void {
    this.write({ kind: 'step', step, loss, lr, seconds });
  }

  evaluation(c: CheckpointRecord): void {
    const m = c.metrics;
    this.write({
      kind: 'eval',
      step: c.step,
      seconds: c.wallClockSec,
      label: c.label,
      metric_name: m.metricName,
      metric_value: m.metricValue,
      accuracy: m.accuracy,
      nll: m.nll,
      ece: m.ece,
    });
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
  }
}
