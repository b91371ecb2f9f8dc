// The check of a user's own data: a CSV made on the spot (two informative numeric columns, one text column,
// label y, 2,000 rows) trains with `cfinit train --data csv:FILE --label y` as cf-ridge and as backprop above
// chance; --json prints the record alone on stdout, --log-dir writes every step and evaluation, the record carries
// the git commit; `cfinit export` of each run predicts in PyTorch what cfinit measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadScenario } from '../../src/data/index.ts';
import { serialize, tidy } from '../../src/torch/index.ts';
import { RunLog, type RunRecord } from '../../src/train/index.ts';
import { tempDir, userCsv, write } from '../data/fixtures.ts';
import { cfinit } from '../helpers.ts';
import { disposeScenario } from './tiny.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PYTHON = process.env.CFINIT_PEER_PYTHON ?? '/usr/bin/python3';

/** Test-set accuracy of an export in PyTorch on the batch file's x and y (null with the reason when no torch). */
function torchAccuracy(exportFile: string, batchFile: string): number | string {
  const script = [
    'import sys, torch',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'python'))})`,
    'from cfinit_torch import load, read_safetensors',
    'model = load(sys.argv[1]); batch = read_safetensors(sys.argv[2])[0]',
    'with torch.no_grad(): print((model(batch["x"]).argmax(1) == batch["y"]).double().mean().item())',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, exportFile, batchFile], { encoding: 'utf8' });
  if (r.error || /No module named 'torch'/.test(r.stderr)) return r.error?.message ?? 'no module named torch';
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test('a CSV made on the spot trains with cf-ridge and backprop above chance; logs, --json, git; export in PyTorch', async (t) => {
  const dir = tempDir('csv-run');
  const file = write(join(dir, 'data.csv'), userCsv(2000));
  const logs = join(dir, 'logs');
  // cfinit's test rows of the runs (seed 7, the CLI's default), for PyTorch
  const batchFile = join(dir, 'test-rows.safetensors');
  const s = await loadScenario(`csv:${file}`, { seed: 7, data: { label: 'y' } });
  tidy(() => writeFileSync(batchFile, serialize({ x: s.encode(s.test.raw).contiguous(), y: s.test.labels })));
  disposeScenario(s);
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  for (const model of ['cf-ridge', 'backprop']) {
    const out = join(dir, model);
    const args = ['--data', `csv:${file}`, '--label', 'y', '--model', model, '--out', out];
    const r = cfinit(['train', ...args, '--log-dir', logs, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const record = JSON.parse(r.stdout) as RunRecord; // stdout holds the record and nothing else
    assert.deepEqual(record, JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')));
    const final = record.checkpoints[record.checkpoints.length - 1]!;
    const { accuracy } = final.metrics;
    assert.equal(record.config.nTrain, 1600);
    assert.equal(record.config.nTest, 400);
    assert.deepEqual(record.config.inputShape, [5]); // a, b and three colours
    assert.ok(accuracy > 0.75, `${model}: accuracy ${accuracy} (chance 0.5)`);
    t.diagnostic(
      `${model}: 1600 train / 400 test rows, accuracy ${accuracy.toFixed(4)}, ` +
        `wall-clock ${final.wallClockSec.toFixed(2)} s, ${record.stepsTotal} steps`,
    );
    if (head.status === 0) assert.equal((record.environment.git as { commit: string }).commit, head.stdout.trim());

    // the logs: one row per step, one per evaluation, in order; the CSV says the same as the JSONL
    const base = join(logs, `csv_${file.replace(/[^\w.-]+/g, '_').replace(/^_/, '')}-${model}-seed7`);
    const rows = readFileSync(`${base}.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const steps = rows.filter((row) => row.kind === 'step');
    const evals = rows.filter((row) => row.kind === 'eval');
    assert.deepEqual(
      steps.map((row) => row.step),
      Array.from({ length: record.stepsTotal }, (_, i) => i + 1),
    );
    assert.deepEqual(
      evals.map((row) => row.step),
      record.checkpoints.map((c) => c.step),
    );
    assert.equal(evals[evals.length - 1]!.accuracy, accuracy);
    for (const row of steps) assert.equal(row.lr, record.config.lr);
    const seconds = rows.map((row) => row.seconds as number);
    seconds.slice(1).forEach((x, i) => assert.ok(x >= seconds[i]!, 'seconds never go back'));
    const csv = readFileSync(`${base}.csv`, 'utf8').trim().split('\n');
    assert.equal(csv[0], 'kind,step,loss,lr,seconds,label,metric_name,metric_value,accuracy,nll,ece');
    assert.equal(csv.length, rows.length + 1);
    assert.equal(Number(csv[csv.length - 1]!.split(',')[8]), accuracy);

    const exported = join(dir, `${model}.safetensors`);
    const e = cfinit(['export', out, '--torch', exported]);
    assert.equal(e.status, 0, e.stderr);
    assert.ok(existsSync(exported));
    const torch = torchAccuracy(exported, batchFile);
    if (typeof torch === 'string') {
      t.diagnostic(`PyTorch check skipped: ${torch}`);
      continue;
    }
    // argmax of float32 logits on 400 rows: equal, or one borderline row apart
    assert.ok(Math.abs(torch - accuracy) <= 1 / 400 + 1e-12, `${model}: PyTorch ${torch}, cfinit ${accuracy}`);
  }
});

test('cfinit bench --data csv:FILE: every regime on a user table, a log per job, results.json alone on stdout', (t) => {
  const dir = tempDir('csv-bench');
  const file = write(join(dir, 'my data.csv'), userCsv(300));
  const out = join(dir, 'results');
  const logs = join(dir, 'logs');
  const args = ['bench', '--data', `csv:${file}`, '--label', 'y', '--models', 'cf-ridge', '--seeds', '7'];
  const r = cfinit([...args, '--out', out, '--log-dir', logs, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as Record<string, { scenario: string; data_fraction: number }[]>;
  assert.deepEqual(results, JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
  const rows = results.anytime_rows!;
  assert.ok(rows.length > 0 && rows.every((row) => row.scenario === `csv:${file}`));
  // job ids (file names) are the scenario's safe characters and a hash: no '/' or ' ' reaches a file name
  const jobs = readdirSync(join(out, 'jobs'));
  assert.ok(jobs.length >= 4, jobs.join(' ')); // anytime, two low-data fractions, transfer fractions
  for (const job of jobs) {
    assert.match(job, /^csv_[\w.-]+-[0-9a-f]{8}\.[\w.-]+\.json$/);
    const id = job.slice(0, -'.json'.length);
    assert.ok(existsSync(join(logs, `${id}.jsonl`)) && existsSync(join(logs, `${id}.csv`)), `logs of ${id}`);
  }
  t.diagnostic(`${jobs.length} jobs: ${jobs.join(', ')}`);
  const wrong = cfinit(['bench', '--scenarios', 'covtype_mlp', '--label', 'y', '--out', join(dir, 'x')]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr.trim(), /^cfinit: --label, --test and the other data flags apply to a user's data/);
});

test('a log replaces only a cfinit log: a foreign file or a symlink in its place is a one-line error', () => {
  const dir = tempDir('logs');
  const first = new RunLog(dir, 'run');
  first.step(1, 0.5, 0.001, 0.1);
  first.close();
  const again = new RunLog(dir, 'run'); // its own earlier log: replaced
  again.close();
  assert.equal(readFileSync(join(dir, 'run.jsonl'), 'utf8'), '');
  write(join(dir, 'notes.csv'), 'my own notes\n');
  assert.throws(() => new RunLog(dir, 'notes'), /notes\.csv exists and is not a cfinit log/);
  assert.equal(readFileSync(join(dir, 'notes.csv'), 'utf8'), 'my own notes\n');
  assert.ok(!existsSync(join(dir, 'notes.jsonl')), 'nothing written beside the foreign file');
  symlinkSync(join(dir, 'notes.csv'), join(dir, 'link.jsonl'));
  assert.throws(() => new RunLog(dir, 'link'), /link\.jsonl is a symlink or not a file/);
  assert.equal(readFileSync(join(dir, 'notes.csv'), 'utf8'), 'my own notes\n');
});
