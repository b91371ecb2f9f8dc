// Stand-ins for trained jobs (metric and compute depend only on the job id) and an opener that runs them.
import type { CheckpointRow, GroupOpener, Job, JobResult } from '../../src/bench/index.ts';
import { checkpointLabel } from '../../src/train/index.ts';

/** A deterministic stand-in for a trained job: metric and compute depend only on the job. */
export function fakeResult(job: Job): JobResult {
  const h = [...job.id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 997, 7) / 997;
  const cls = job.scenario !== 'wikitext2_next_token_transformer';
  const metric = (x: number) => ({
    metric_name: cls ? ('accuracy' as const) : ('validation_cross_entropy' as const),
    metric_value: cls ? x : 5 + x,
    accuracy: x,
    nll: 1 + x,
    ece: 0.1,
    perplexity: cls ? null : Math.exp(5 + x),
  });
  const key = {
    scenario: job.scenario,
    dataset: job.scenario.split('_')[0]!,
    architecture: job.scenario === 'covtype_mlp' ? ('mlp' as const) : ('transformer' as const),
    model: job.model,
    fit_fraction: job.fitFraction,
    seed: job.seed,
    data_fraction: job.fraction,
  };
  const steps = 4;
  const rows: CheckpointRow[] =
    job.regime === 'transfer'
      ? []
      : [1, 2, 4].map((step) => ({
          ...key,
          ...metric((h * step) / 4),
          budget_fraction: step / steps,
          checkpoint_label: checkpointLabel(step, steps),
          step,
          steps_total: steps,
          total_compute_proxy: 100 * step,
          wall_clock_sec: step * h,
          trainable_params: 5,
          total_params: 9,
          init_sec: 0,
          init_compute_proxy: 0,
          fit_rows: null,
        }));
  return {
    job,
    rows,
    ood:
      job.regime === 'anytime'
        ? [{ ...key, ...metric(h / 2), variant: 'noise', in_distribution_value: h, delta: -h / 2 }]
        : [],
    transfer:
      job.regime === 'transfer'
        ? {
            row: { ...key, ...metric(h), total_compute_proxy: 10, wall_clock_sec: h },
            shared_compute_proxy: 50,
            shared_wall_clock_sec: 1,
          }
        : null,
    timing: { init_sec: 0, feature_sec: 0, train_sec: 0, eval_sec: 0, job_sec: 0 },
    fit: null,
    peak_rss_mb: 1,
    config: {},
    environment: {},
  };
}

/** An opener that records every job it runs and every group it opens; `failOn` throws inside that job. */
export function fakeOpener(log: { ran: string[]; opened: string[]; closed: number }, failOn?: string): GroupOpener {
  return async (scenario, seed) => {
    log.opened.push(`${scenario}/${seed}`);
    return {
      run: (job, onStep) => {
        onStep(1, 4);
        if (job.id === failOn) throw new Error('killed inside the job');
        log.ran.push(job.id);
        return fakeResult(job);
      },
      close: () => void log.closed++,
    };
  };
}
