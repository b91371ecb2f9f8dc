import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunFiles } from '../../src/cli/commands/train.ts';
import { covtypeRows, tempDir, write } from '../data/fixtures.ts';
import { assertUserError, cfinit } from '../helpers.ts';

test('cfinit train: bad names, a bad step count, a missing or corrupt data file are one-line errors, exit 1', () => {
  const train = (...args: string[]) => cfinit(['train', ...args]);
  assertUserError(
    train('--scenario', 'covtype', '--model', 'backprop'),
    /--scenario must be one of covtype_mlp, .*got 'covtype'/,
  );
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'sgd'),
    /--model must be one of backprop, cf-finetune, cf-ce-head, cf-ridge, orthogonal, lsuv, mimetic, zca, zero-residual, got 'sgd'/,
  );
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'backprop', '--steps', '-3'),
    /--steps must be a positive integer, got '-3'/,
  );
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'backprop', '--rows', '400'),
    /--rows: expected <train rows>,<test rows>, got '400'/,
  );
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'backprop', '--rows', '400,0'),
    /--rows: expected positive integers, got '0'/,
  );
  const empty = tempDir('train-empty');
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'backprop', '--data-dir', empty),
    /covtype: no local copy found/,
  );
  const corrupt = tempDir('train-corrupt');
  const rows = covtypeRows(5);
  rows[3] = rows[3]!.replace(/,\d+$/, ',9'); // label 9 is outside 1..7
  const file = write(join(corrupt, 'covtype', 'covtype.data'), rows.join('\n') + '\n');
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'cf-ridge', '--data-dir', corrupt, '--steps', '3'),
    /--steps of cf-ridge must be 0 \(it takes no gradient steps\), got '3'/,
  );
  const where = `${file.replace(/[.]/g, '\\.')} \\(line 4, column 55\\)`;
  assertUserError(
    train('--scenario', 'covtype_mlp', '--model', 'cf-ridge', '--data-dir', corrupt),
    new RegExp(`${where}: expected a Cover_Type label in 1\\.\\.7, found '9'`),
  );
});

test('the run files are swapped in as a pair and leave no staging folders', () => {
  const root = tempDir('train-out');
  const out = join(root, 'runs', 'a');
  writeRunFiles(out, { 'weights.safetensors': new Uint8Array([1, 2]), 'metrics.json': '{"v":1}\n' });
  writeRunFiles(out, { 'weights.safetensors': new Uint8Array([3]), 'metrics.json': '{"v":2}\n' });
  assert.deepEqual([...readFileSync(join(out, 'weights.safetensors'))], [3]);
  assert.equal(readFileSync(join(out, 'metrics.json'), 'utf8'), '{"v":2}\n');
  assert.deepEqual(readdirSync(join(root, 'runs')), ['a']);
  assert.ok(!existsSync(join(out, 'metrics.json.tmp')));
});
