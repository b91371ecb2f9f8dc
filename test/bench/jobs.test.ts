// The job system with an injected group opener: stable ids, resume after a failure inside a job, shards that
// cover every job once and merge to the unsharded analytics, config errors.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  benchIdentity,
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
} from '../../src/bench/index.ts';
import { fakeOpener } from './fake.ts';
import { ConfigError } from '../../src/errors.ts';

const tmp = mkdtempSync(join(tmpdir(), 'cfinit-bench-jobs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = checkConfig({ ...defaultConfig(), seeds: [7, 11] });
const jobs = enumerateJobs(config);
const samples = join(import.meta.dirname, '..', '..', 'samples');
const identity = benchIdentity(config, samples);

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
  const failing = runJobs(subset, { outDir: out, identity, open: fakeOpener(first, subset[6]!.id) });
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
  await runJobs(subset, { outDir: out, identity, open: fakeOpener(second) });
  assert.deepEqual(
    second.ran,
    subset.slice(6).map((j) => j.id),
    'only the unfinished jobs run again',
  );
  const third = { ran: [] as string[], opened: [] as string[], closed: 0 };
  await runJobs(subset, { outDir: out, identity, open: fakeOpener(third) });
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
    await runJobs(s, { outDir: dirs[i]!, identity, open: fakeOpener({ ran: [], opened: [], closed: 0 }) });
  }
  await runJobs(jobs, { outDir: join(tmp, 'whole'), identity, open: fakeOpener({ ran: [], opened: [], closed: 0 }) });
  const merged = buildResults(readJobResults(dirs), runMetadata(readJobResults(dirs)));
  const whole = buildResults(readJobResults([join(tmp, 'whole')]), runMetadata(readJobResults(dirs)));
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
