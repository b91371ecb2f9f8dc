// The command line as a user meets it: known errors are one line and exit 1, --verbose / CFINIT_DEBUG=1
// add the stack, `data check` reports every dataset that fails, and a failure to start is exit 2 with a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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
  assert.deepEqual(plain.stderr, ["cfinit: --seed must be a non-negative integer, got 'abc'"]);
  const verbose = [
    cfinit(['data', 'check', '--seed', '-1', '--verbose']),
    cfinit(['data', 'check', '--seed', '-1'], { CFINIT_DEBUG: '1' }),
  ];
  for (const run of verbose) {
    assert.equal(run.status, 1);
    assert.equal(run.stderr[0], "cfinit: --seed must be a non-negative integer, got '-1'");
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
