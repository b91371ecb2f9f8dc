// The command line as a user meets it: known errors are one line and exit 1, --verbose / CFINIT_DEBUG=1
// add the stack, `data check` reports every dataset that fails, and a failure to start is exit 2 with a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRunFolder, writeRunFiles } from '../../src/cli/commands/train.ts';
import { ConfigError } from '../../src/errors.ts';
import { tempDir, write } from '../data/fixtures.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'cfinit.js');

function cfinit(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CFINIT_DEBUG: '', ...env },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.split('\n').filter((l) => l.length > 0) };
}
const STACK_LINE = /^\s+at /;

test('a bad flag is one line naming it and what was expected, exit 1; --verbose and CFINIT_DEBUG add the stack', () => {
  const plain = cfinit(['data', 'check', '--seed', 'abc']);
  assert.equal(plain.status, 1);
  assert.deepEqual(plain.stderr, ["cfinit: --seed must be an integer in [0, 4294901759] (2^32 − 2^16 − 1), got 'abc'"]);
  const verbose = [
    cfinit(['data', 'check', '--seed', '-1', '--verbose']),
    cfinit(['data', 'check', '--seed', '-1'], { CFINIT_DEBUG: '1' }),
  ];
  for (const run of verbose) {
    assert.equal(run.status, 1);
    assert.equal(run.stderr[0], "cfinit: --seed must be an integer in [0, 4294901759] (2^32 − 2^16 − 1), got '-1'");
    assert.ok(
      run.stderr.some((l) => STACK_LINE.test(l)),
      run.stderr.join('\n'),
    );
  }
});

test('data check reports every dataset that fails, each in one line naming the file, then exits 1', () => {
  const dataDir = tempDir('h11-cli');
  mkdirSync(join(dataDir, 'covtype', 'covtype.data'), { recursive: true });
  write(join(dataDir, 'qnli', 'train.tsv'), 'not\ta\theader\n');
  write(join(dataDir, 'qnli', 'dev.tsv'), 'not\ta\theader\n');
  const run = cfinit(['data', 'check', '--data-dir', dataDir, '--only', 'covtype_mlp,qnli_transformer'], {
    CFINIT_CACHE_DIR: join(dataDir, 'cache'),
  });
  assert.equal(run.status, 1);
  const errors = run.stderr.filter((l) => l.startsWith('cfinit:'));
  assert.deepEqual(errors, [
    `cfinit: covtype_mlp: ${join(dataDir, 'covtype', 'covtype.data')}: expected a readable file, found a directory`,
    `cfinit: qnli_transformer: ${join(dataDir, 'qnli', 'train.tsv')} (line 1): ` +
      "expected the header 'index\\tquestion\\tsentence\\tlabel', found 'not\\ta\\theader'",
    'cfinit: 2 of 2 scenarios failed to load (covtype_mlp, qnli_transformer); see above',
  ]);
  assert.ok(!run.stderr.some((l) => STACK_LINE.test(l)));
});

test('a failure to start (a broken native addon) is reported as a bug with its stack, exit 2', () => {
  const junk = write(join(tempDir('h11-cli-addon'), 'cfinit_native.node'), 'not a shared object');
  const run = cfinit(['data', 'check', '--only', 'covtype_mlp'], { CFINIT_NATIVE: junk });
  assert.equal(run.status, 2);
  assert.match(run.stderr[0], /^cfinit: internal error/);
  assert.ok(
    run.stderr.some((l) => STACK_LINE.test(l)),
    run.stderr.join('\n'),
  );
});

test('train --out never deletes what is not a run: a file, a folder with other files, ., and an empty value', () => {
  const root = tempDir('h19-train-out');
  const file = write(join(root, 'notes.txt'), 'mine');
  const folder = join(root, 'project');
  write(join(folder, 'thesis.tex'), 'mine too');
  write(join(folder, 'metrics.json'), '{}');
  const files = { 'weights.safetensors': new Uint8Array([1]), 'metrics.json': '{"v":1}\n' };
  const refused = (out: string, pattern: RegExp) =>
    assert.throws(
      () => writeRunFiles(out, files),
      (err: Error) => err instanceof ConfigError && pattern.test(err.message) && !err.message.includes('\n'),
    );
  refused(file, /notes\.txt: exists and is not a folder/);
  refused(folder, /project: holds files that are not a run's \(thesis\.tex\)/);
  refused('', /--out: got ''/);
  const cwd = process.cwd();
  process.chdir(folder);
  try {
    refused('.', /is the working folder or contains it/);
    refused('..', /is the working folder or contains it/);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  assert.equal(readFileSync(join(folder, 'thesis.tex'), 'utf8'), 'mine too');
  // an empty folder and a previous run are replaced
  mkdirSync(join(root, 'empty'));
  writeRunFiles(join(root, 'empty'), files);
  writeRunFiles(join(root, 'empty'), { ...files, 'metrics.json': '{"v":2}\n' });
  assert.deepEqual(readdirSync(join(root, 'empty')).sort(), ['metrics.json', 'weights.safetensors']);
  assert.equal(readFileSync(join(root, 'empty', 'metrics.json'), 'utf8'), '{"v":2}\n');
  // through the command: the same one line, exit 1, before any data is read
  const run = cfinit(['train', '--scenario', 'covtype_mlp', '--model', 'cf-ridge', '--out', folder]);
  assert.equal(run.status, 1);
  assert.deepEqual(run.stderr.length, 1, run.stderr.join('\n'));
  assert.match(run.stderr[0]!, /project: holds files that are not a run's/);
  const empty = cfinit(['train', '--scenario', 'covtype_mlp', '--model', 'cf-ridge', '--out', '']);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr[0]!, /--out: got ''/);
});

test('a train killed between its two renames: the next start restores the previous run (or removes it when done)', () => {
  const root = tempDir('h19-train-killed');
  const out = join(root, 'run');
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  // killed after moving the old run aside, before moving the new one in
  write(join(root, `.run.partial-${deadPid}.old`, 'metrics.json'), '{"v":"old"}\n');
  write(join(root, `.run.partial-${deadPid}`, 'metrics.json'), '{"v":"half"}\n');
  prepareRunFolder(out);
  assert.deepEqual(readdirSync(root), ['run']);
  assert.equal(readFileSync(join(out, 'metrics.json'), 'utf8'), '{"v":"old"}\n');
  // killed after the swap, before removing the old run: it goes
  write(join(root, `.run.partial-${deadPid}.old`, 'metrics.json'), '{"v":"older"}\n');
  write(join(root, `.run.partial-${deadPid}.old`, 'thesis.tex'), 'not ours: kept');
  write(join(root, `.other.partial-${deadPid}.old`, 'metrics.json'), '{}');
  writeRunFiles(out, { 'metrics.json': '{"v":"new"}\n' });
  assert.equal(readFileSync(join(out, 'metrics.json'), 'utf8'), '{"v":"new"}\n');
  assert.ok(existsSync(join(root, `.run.partial-${deadPid}.old`, 'thesis.tex')), 'a folder with other files stays');
  assert.ok(existsSync(join(root, `.other.partial-${deadPid}.old`)), "another target's leftovers stay");
});

test('seeds that would alias modulo 2^32 or overflow an internal offset are one-line errors, exit 1', () => {
  for (const seed of ['4294967296', '9007199254740991', '4294967295']) {
    const run = cfinit([
      'train',
      '--scenario',
      'covtype_mlp',
      '--model',
      'cf-ridge',
      '--seed',
      seed,
      '--out',
      join(tempDir('h19-seed'), 'r'),
    ]);
    assert.equal(run.status, 1, run.stderr.join('\n'));
    assert.deepEqual(run.stderr, [
      `cfinit: --seed must be an integer in [0, 4294901759] (2^32 − 2^16 − 1), got ${seed}`,
    ]);
  }
  const bench = cfinit(['bench', '--quick', '--seeds', '7,4294967303', '--out', join(tempDir('h19-seeds'), 'b')]);
  assert.equal(bench.status, 1);
  assert.deepEqual(bench.stderr, [
    'cfinit: --seeds must be an integer in [0, 4294901759] (2^32 − 2^16 − 1), got 4294967303',
  ]);
});

test('an invalid or absurd CFINIT_NUM_THREADS is one line naming it, exit 1 (not an internal error)', () => {
  for (const value of ['abc', '0', '99999999', '1e3', '-2']) {
    const run = cfinit(['info'], { CFINIT_NUM_THREADS: value });
    assert.equal(run.status, 1, run.stderr.join('\n'));
    assert.deepEqual(run.stderr, [`cfinit: CFINIT_NUM_THREADS must be an integer in [1, 1024], got '${value}'`]);
  }
});
