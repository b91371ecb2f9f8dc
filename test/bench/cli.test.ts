// `cfinit bench` end to end as a child process on the packaged samples at tiny sizes: --quick writes a
// results.json that validates against the schema; a SIGKILLed run resumes without recomputing finished jobs
// or leaving a partial job file, and says how many it skips.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Ajv } from 'ajv';
import type { Results } from '../../src/bench/index.ts';
import { findDataDir } from '../../src/cli/data-dir.ts';
import { ConfigError } from '../../src/errors.ts';

const root = resolve(import.meta.dirname, '..', '..');
const samples = join(root, 'samples');
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-bench-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const main = join(root, 'src', 'cli', 'main.ts');
const cli = (args: string[]) => [process.execPath, ['--import', 'tsx', main, 'bench', ...args]] as const;
const env = { ...process.env, CFINIT_NUM_THREADS: '1', CFINIT_CACHE_DIR: join(tmp, 'cache') };

test('--quick on tiny fixture data writes a results.json that validates against the schema', () => {
  const out = join(tmp, 'quick');
  const [cmd, args] = cli(['--quick', '--data-dir', samples, '--rows', '40,24', '--out', out]);
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // not a TTY: plain lines, the header first, the last progress line at 68/68; the summary alone on stdout
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0]!, /^cfinit bench: 68 jobs, data .*samples, results /);
  assert.match(lines.at(-1)!, /^bench 68\/68 /);
  assert.ok(!/\x1b\[/.test(r.stderr + r.stdout), 'no terminal escapes when stdout and stderr are not TTYs');
  assert.match(r.stdout, /^Matched-budget finals/);
  assert.match(r.stdout, /first to target in wall-clock on wikitext2_next_token_transformer/);
  const text = readFileSync(join(out, 'results.json'), 'utf8');
  const results = JSON.parse(text) as Results;
  const schema = JSON.parse(readFileSync(join(root, 'src', 'bench', 'results.schema.json'), 'utf8'));
  const validate = new Ajv({ strict: false }).compile(schema);
  assert.ok(validate(JSON.parse(text)), JSON.stringify(validate.errors?.[0]));
  assert.equal(results.matched_summary.length, 16, 'four scenarios × four models');
  assert.ok(results.ood_rows.length > 0 && results.low_data_rows.length > 0 && results.transfer_rows.length > 0);
  assert.equal(results.metadata.quick, true);
  assert.deepEqual(results.metadata.seeds, [7]);
  assert.ok(existsSync(join(out, 'anytime_rows.jsonl')));
});

test('a SIGKILLed run loses at most the job in flight and resumes without recomputing', async () => {
  const out = join(tmp, 'killed');
  const jobsDir = join(out, 'jobs');
  const [cmd, args] = cli([
    '--quick',
    '--data-dir',
    samples,
    '--rows',
    '40,24',
    '--scenarios',
    'covtype_mlp',
    '--out',
    out,
  ]);
  const child = spawn(cmd, args, { cwd: root, env, stdio: 'ignore' });
  const exited = new Promise((res) => child.on('exit', res));
  // kill as soon as a few jobs have finished (the next one is in flight)
  await new Promise<void>((res, rej) => {
    const timer = setInterval(() => {
      if (existsSync(jobsDir) && readdirSync(jobsDir).filter((f) => f.endsWith('.json')).length >= 3) {
        clearInterval(timer);
        child.kill('SIGKILL');
        res();
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      rej(new Error('the run finished before it could be killed'));
    });
  }).catch((e) => assert.fail(e));
  await exited;
  const before = new Map(
    readdirSync(jobsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const p = join(jobsDir, f);
        JSON.parse(readFileSync(p, 'utf8')); // never partial
        return [f, { mtime: statSync(p).mtimeMs, text: readFileSync(p, 'utf8') }];
      }),
  );
  assert.ok(before.size >= 3 && before.size < 17, `killed after ${before.size} of 17 jobs`);
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^cfinit bench: ${before.size} jobs done, skipping$`, 'm'));
  const after = readdirSync(jobsDir).filter((f) => f.endsWith('.json'));
  assert.equal(after.length, 17); // quick: anytime 4 + low-data 4 + transfer 9
  for (const [f, v] of before) {
    const p = join(jobsDir, f);
    assert.equal(statSync(p).mtimeMs, v.mtime, `${f} was recomputed`);
    assert.equal(readFileSync(p, 'utf8'), v.text);
  }
  assert.ok(existsSync(join(out, 'results.json')));
});

test('a CFINIT_DATA_DIR that does not exist is a ConfigError; --data-dir wins over it', () => {
  const saved = process.env.CFINIT_DATA_DIR;
  process.env.CFINIT_DATA_DIR = join(tmp, 'missing');
  try {
    assert.throws(
      () => findDataDir(undefined, true),
      (e: Error) => e instanceof ConfigError && /CFINIT_DATA_DIR/.test(e.message),
    );
    assert.deepEqual(findDataDir(samples, false), { dir: samples, samples: false });
  } finally {
    if (saved === undefined) delete process.env.CFINIT_DATA_DIR;
    else process.env.CFINIT_DATA_DIR = saved;
  }
});

test('bad flags are one-line errors with exit 1', () => {
  const [cmd, args] = cli(['--quick', '--data-dir', samples, '--models', 'backprop,sgd', '--out', join(tmp, 'bad')]);
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /--models.*sgd/);
});
