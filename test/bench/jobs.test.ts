// The job system with an injected group opener: stable ids, resume after a failure inside a job, shards that
// cover every job once and merge to the unsharded analytics, config errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  buildResults,
  checkConfig,
  defaultConfig,
  enumerateJobs,
  parseShard,
  readJobResults,
  runJobs,
  runMetadata,
  shardJobs,
  validateResults,
  type CheckpointRow,
  type GroupOpener,
  type Job,
  type JobResult,
} from '../../src/bench/index.ts';
import { checkpointLabel } from '../../src/train/index.ts';
import { ConfigError } from '../../src/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'cfinit-bench-jobs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A deterministic stand-in for a trained job: metric and compute depend only on the job. */
function fakeResult(job: Job): JobResult {
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
function fakeOpener(log: { ran: string[]; opened: string[]; closed: number }, failOn?: string): GroupOpener {
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

const config = checkConfig({ ...defaultConfig(), seeds: [7, 11] });
const jobs = enumerateJobs(config);

test('jobs: one per (scenario, regime, model, seed, fraction), stable unique ids, grouped by scenario and seed', () => {
  // anytime 4 models + low-data 2 fractions × 4 + transfer 3 fractions × 3 cf models, per scenario and seed
  assert.equal(jobs.length, 4 * 2 * (4 + 8 + 9));
  assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length);
  assert.deepEqual(
    enumerateJobs(config).map((j) => j.id),
    jobs.map((j) => j.id),
  );
  assert.ok(jobs.some((j) => j.id === 'qnli_transformer.transfer.cf-ce-head.seed11.frac0.1'));
  const groups = jobs.map((j) => `${j.scenario}/${j.seed}`).filter((g, i, a) => i === 0 || a[i - 1] !== g);
  assert.equal(groups.length, 8, 'each (scenario, seed) group is contiguous');
});

test('resume: a failure inside a job keeps every finished file whole and the rerun skips them', async () => {
  const out = join(tmp, 'resume');
  const subset = jobs.slice(0, 10);
  const first = { ran: [] as string[], opened: [] as string[], closed: 0 };
  const failing = runJobs(subset, { outDir: out, open: fakeOpener(first, subset[6]!.id) });
  await assert.rejects(failing, /killed inside the job/);
  assert.equal(first.closed, first.opened.length, 'the group is closed even when a job fails');
  const files = readdirSync(join(out, 'jobs'));
  assert.deepEqual(
    files.sort(),
    subset
      .slice(0, 6)
      .map((j) => `${j.id}.json`)
      .sort(),
  );
  for (const f of files) JSON.parse(readFileSync(join(out, 'jobs', f), 'utf8'));
  const second = { ran: [] as string[], opened: [] as string[], closed: 0 };
  await runJobs(subset, { outDir: out, open: fakeOpener(second) });
  assert.deepEqual(
    second.ran,
    subset.slice(6).map((j) => j.id),
    'only the unfinished jobs run again',
  );
  const third = { ran: [] as string[], opened: [] as string[], closed: 0 };
  await runJobs(subset, { outDir: out, open: fakeOpener(third) });
  assert.deepEqual([third.ran, third.opened], [[], []], 'a complete dir runs nothing and loads nothing');
});

test('shards 1/3, 2/3, 3/3 cover every job once, balance cost, and merge to the unsharded analytics', async () => {
  const shards = [1, 2, 3].map((i) => shardJobs(jobs, parseShard(`${i}/3`)));
  const ids = shards.flatMap((s) => s.map((j) => j.id));
  assert.equal(ids.length, jobs.length);
  assert.deepEqual(new Set(ids), new Set(jobs.map((j) => j.id)));
  assert.ok(shards.every((s) => s.length > 0));
  const dirs = [1, 2, 3].map((i) => join(tmp, `shard${i}`));
  for (const [i, s] of shards.entries()) {
    await runJobs(s, { outDir: dirs[i]!, open: fakeOpener({ ran: [], opened: [], closed: 0 }) });
  }
  await runJobs(jobs, { outDir: join(tmp, 'whole'), open: fakeOpener({ ran: [], opened: [], closed: 0 }) });
  const meta = runMetadata(config, jobs.length, 0, new Date(0));
  const merged = buildResults(readJobResults(dirs), meta);
  const whole = buildResults(readJobResults([join(tmp, 'whole')]), meta);
  validateResults(JSON.parse(JSON.stringify(whole)));
  assert.deepEqual(merged, whole);
  assert.ok(whole.transfer_seed_summary.length > 0 && whole.compute_to_target_summary.length > 0);
});

test('config and shard errors are one-line ConfigErrors naming the culprit', () => {
  assert.throws(
    () => parseShard('4/3'),
    (e: Error) => e instanceof ConfigError && /--shard/.test(e.message),
  );
  assert.throws(() => parseShard('x'), ConfigError);
  assert.throws(
    () => checkConfig({ ...defaultConfig(), models: ['backprop', 'sgd' as never] }),
    (e: Error) => e instanceof ConfigError && /--models/.test(e.message) && /sgd/.test(e.message),
  );
  assert.throws(() => checkConfig({ ...defaultConfig(), seeds: [7, 7] }), /--seeds/);
});
