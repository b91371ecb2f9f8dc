// The job loop: skip finished jobs (a valid file of the same fingerprint), open each (scenario, seed) group
// once, run its jobs in order, write each result atomically as it finishes, close the group before the next
// one loads. A job file of another configuration, format or a damaged one is recomputed, and the run says so.
import { BudgetSpentError } from '../train/index.ts';
import type { GroupOpener, JobGroup } from './execute.ts';
import { configFingerprint, type JobIdentity } from './identity.ts';
import type { Job } from './jobs.ts';
import { jobFile, readJobFile, writeJobResult, type StoredJob } from './store.ts';

/** Where the loop reports position and step (the CLI passes its progress display). */
export interface ProgressSink {
  update(value: number, fields?: Record<string, string | number>): void;
}

export interface RunJobsOptions {
  outDir: string;
  open: GroupOpener;
  /** The identity (configuration, data, version) of a job's numbers under this run. */
  identity: (job: Job) => JobIdentity;
  progress?: ProgressSink;
  /** Called for each job whose existing file is not reused, with why (the CLI prints it). */
  onRecompute?: (job: Job, reason: string) => void;
  /** Called once before the loop when some of the jobs are already finished in outDir (a resumed run). */
  onResume?: (done: number, total: number) => void;
  /** A job left out: its start alone costs backprop's whole budget (toy sizes); it has no file. */
  onSkip?: (job: Job, reason: string) => void;
  /** Called after each job's file is written. */
  onJobDone?: (result: StoredJob, index: number, total: number) => void;
}

/** Whether the job's file is a finished job of this identity; else why not (null: no file). */
export function jobStatus(outDir: string, job: Job, identity: JobIdentity): { done: boolean; reason: string | null } {
  const read = readJobFile(jobFile(outDir, job.id), job.id);
  if (read.state === 'absent') return { done: false, reason: null };
  if (read.state === 'invalid') return { done: false, reason: `its file ${read.reason}` };
  if (read.stored.fingerprint !== configFingerprint(identity)) {
    const diff = (Object.keys(identity) as (keyof JobIdentity)[]).filter(
      (k) => JSON.stringify(identity[k]) !== JSON.stringify(read.stored.identity?.[k]),
    );
    return { done: false, reason: `its file was computed under another configuration (${diff.join(', ')} differ)` };
  }
  return { done: true, reason: null };
}

/** Runs the jobs not yet finished in outDir; returns the ids it ran. */
export async function runJobs(jobs: readonly Job[], options: RunJobsOptions): Promise<string[]> {
  const todo = jobs.filter((j) => {
    const status = jobStatus(options.outDir, j, options.identity(j));
    if (status.reason) options.onRecompute?.(j, status.reason);
    return !status.done;
  });
  const skipped = jobs.length - todo.length;
  if (skipped > 0) options.onResume?.(skipped, jobs.length);
  const ran: string[] = [];
  let group: JobGroup | null = null;
  let groupKey = '';
  try {
    for (const [i, job] of todo.entries()) {
      const key = `${job.scenario}/${job.seed}`;
      if (key !== groupKey) {
        group?.close();
        group = null;
        groupKey = key;
        group = await options.open(job.scenario, job.seed);
      }
      const position = skipped + i + 1;
      options.progress?.update(position - 1, { job: `${position}/${jobs.length} ${job.id}` });
      let result;
      try {
        result = group!.run(job, (step, steps) => {
          const label = `${position}/${jobs.length} ${job.id}`;
          options.progress?.update(position - 1, { job: label, step: `${step}/${steps}` });
        });
      } catch (err) {
        if (!(err instanceof BudgetSpentError)) throw err;
        options.onSkip?.(job, err.message);
        continue;
      }
      const stored = writeJobResult(options.outDir, result, options.identity(job));
      ran.push(job.id);
      options.progress?.update(position, { job: `${position}/${jobs.length} ${job.id}` });
      options.onJobDone?.(stored, position, jobs.length);
    }
  } finally {
    group?.close();
  }
  return ran;
}
