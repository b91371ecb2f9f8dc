// The job loop: skip finished jobs, open each (scenario, seed) group once, run its jobs in order, write each
// result atomically as it finishes, close the group before the next one loads.
import type { GroupOpener, JobGroup } from './execute.ts';
import type { Job } from './jobs.ts';
import { finishedJobIds, writeJobResult, type JobResult } from './store.ts';

/** Where the loop reports position and step (the CLI passes its progress display). */
export interface ProgressSink {
  update(value: number, fields?: Record<string, string | number>): void;
}

export interface RunJobsOptions {
  outDir: string;
  open: GroupOpener;
  progress?: ProgressSink;
  /** Called once before the loop when some of the jobs are already finished in outDir (a resumed run). */
  onResume?: (done: number, total: number) => void;
  /** Called after each job's file is written. */
  onJobDone?: (result: JobResult, index: number, total: number) => void;
}

/** Runs the jobs not yet finished in outDir; returns the ids it ran. */
export async function runJobs(jobs: readonly Job[], options: RunJobsOptions): Promise<string[]> {
  const done = finishedJobIds(options.outDir);
  const todo = jobs.filter((j) => !done.has(j.id));
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
      const result = group!.run(job, (step, steps) => {
        const label = `${position}/${jobs.length} ${job.id}`;
        options.progress?.update(position - 1, { job: label, step: `${step}/${steps}` });
      });
      writeJobResult(options.outDir, result);
      ran.push(job.id);
      options.progress?.update(position, { job: `${position}/${jobs.length} ${job.id}` });
      options.onJobDone?.(result, position, jobs.length);
    }
  } finally {
    group?.close();
  }
  return ran;
}
