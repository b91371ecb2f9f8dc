// A stored job result is keyed by everything that produced it: resume recomputes a job of another
// configuration (and says why), merge refuses mixed configurations and disagreeing duplicates, a damaged job
// file is never "finished", metadata describes the jobs merged. One bench per results folder (a lock).
// A re-run that computes nothing leaves results.json as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import {
  acquireLock,
  benchIdentity,
  checkConfig,
  configFingerprint,
  defaultConfig,
  enumerateJobs,
  jobFile,
  LockError,
  LOCK_FILE,
  mergeResults,
  parseShard,
  readJobResults,
  ResultsError,
  runJobs,
  shardJobs,
  type BenchConfig,
  type Job,
} from '../../src/bench/index.ts';
import { FileWriteError } from '../../src/fsio.ts';
import { fakeOpener } from '../bench/fake.ts';
import { tempDir, write } from '../data/fixtures.ts';

const root = resolve(import.meta.dirname, '..', '..');
const samples = join(root, 'samples');
const BIN = join(root, 'bin', 'cfinit.js');
const tmp = tempDir('h19-bench');
const log = () => ({ ran: [] as string[], opened: [] as string[], closed: 0 });

const base = (over: Partial<BenchConfig> = {}) =>
  checkConfig({ ...defaultConfig(true), scenarios: ['covtype_mlp'], models: ['backprop', 'cf-ridge'], ...over });

async function run(config: BenchConfig, out: string, dataDir = samples, jobs: Job[] = enumerateJobs(config)) {
  const l = log();
  const recomputed: string[] = [];
  await runJobs(jobs, {
    outDir: out,
    open: fakeOpener(l),
    identity: benchIdentity(config, dataDir),
    onRecompute: (job, reason) => recomputed.push(`${job.id}: ${reason}`),
  });
  return { ran: l.ran, recomputed };
}

test('resume recomputes (and says so) jobs of other --rows, --quick, data or format; reuses matching ones', async () => {
  const out = join(tmp, 'resume');
  const config = base();
  const jobs = enumerateJobs(config);
  assert.equal((await run(config, out)).ran.length, jobs.length);
  assert.deepEqual(await run(config, out), { ran: [], recomputed: [] }, 'same configuration: nothing to do');

  const rows = await run(base({ rows: { nTrain: 300, nTest: 200 } }), out);
  assert.equal(rows.ran.length, jobs.length);
  assert.match(rows.recomputed[0]!, /computed under another configuration \(rows differ\)/);

  const full = await run(base({ quick: false, rows: { nTrain: 300, nTest: 200 } }), out);
  assert.match(full.recomputed[0]!, /\(quick differ\)/);

  const data = tempDir('h19-data');
  cpSync(samples, data, { recursive: true });
  await run(config, out, data); // same bytes elsewhere: same fingerprint once the rows match again
  const otherData = tempDir('h19-data2');
  cpSync(samples, otherData, { recursive: true });
  const csv = join(otherData, 'covtype', 'covtype-sample-1k.csv');
  writeFileSync(csv, readFileSync(csv, 'utf8').replace(/\n\d/, '\n9'));
  assert.match((await run(config, out, otherData)).recomputed[0]!, /\(data differ\)/);
});

test('an empty, truncated, null, renamed or old-format job file is not "finished": it is recomputed', async () => {
  const out = join(tmp, 'damaged');
  const config = base();
  const [a, b, c, d, e] = enumerateJobs(config);
  await run(config, out);
  writeFileSync(jobFile(out, a!.id), '');
  const text = readFileSync(jobFile(out, b!.id), 'utf8');
  writeFileSync(jobFile(out, b!.id), text.slice(0, text.length >> 1));
  writeFileSync(jobFile(out, c!.id), 'null\n');
  writeFileSync(jobFile(out, d!.id), readFileSync(jobFile(out, e!.id))); // job e's content under d's name
  const old = JSON.parse(readFileSync(jobFile(out, e!.id), 'utf8'));
  delete old.format;
  writeFileSync(jobFile(out, e!.id), JSON.stringify(old));
  const again = await run(config, out);
  assert.deepEqual(again.ran.sort(), [a, b, c, d, e].map((j) => j!.id).sort());
  assert.match(again.recomputed.join('\n'), /not JSON \(empty\)/);
  assert.match(again.recomputed.join('\n'), new RegExp(`holds job '${e!.id.replace(/\./g, '\\.')}', not`));
  assert.match(again.recomputed.join('\n'), /job file format 1, expected 2/);
  assert.match(again.recomputed.join('\n'), /does not match the job file schema/);
});

test('merge refuses mixed configurations and disagreeing duplicates; --allow-mixed marks quick; metadata from jobs', async () => {
  const quick = join(tmp, 'm-quick');
  const full = join(tmp, 'm-full');
  const seeds11 = join(tmp, 'm-11');
  await run(base({ seeds: [7] }), quick);
  await run(base({ seeds: [11], quick: false, rows: { nTrain: 400, nTest: 200 } }), full);
  assert.throws(
    () => readJobResults([quick, full]),
    (err: Error) =>
      err instanceof ResultsError && /different configurations \(quick differ\).*--allow-mixed/.test(err.message),
  );
  const mixed = mergeResults([quick, full], join(tmp, 'm-out'), { allowMixed: true });
  assert.equal(mixed.results.metadata.quick, true, 'a quick job makes the merge quick');
  assert.deepEqual(mixed.results.metadata.seeds, [7, 11]);
  assert.deepEqual(mixed.results.metadata.models, ['backprop', 'cf-ridge']);
  const memory = mixed.results.metadata.machine.memory_gb;
  assert.equal(memory, Math.round(memory * 10) / 10, `memory_gb ${memory} is rounded to 0.1 GiB`);

  // same job, same config, different numbers: refused whichever comes first
  await run(base({ seeds: [11] }), seeds11);
  const id = enumerateJobs(base({ seeds: [11] }))[0]!.id;
  const copy = join(tmp, 'm-copy');
  cpSync(seeds11, copy, { recursive: true });
  const stored = JSON.parse(readFileSync(jobFile(copy, id), 'utf8'));
  stored.rows[0].metric_value = 0.123456;
  writeFileSync(jobFile(copy, id), JSON.stringify(stored));
  assert.throws(
    () => readJobResults([seeds11, copy]),
    (err: Error) => err instanceof ResultsError && /hold different results for job/.test(err.message),
  );
  cpSync(seeds11, copy, { recursive: true });
  assert.equal(readJobResults([seeds11, copy]).length, enumerateJobs(base({ seeds: [11] })).length);
});

test('a format-1 job file (no identity) is merged only with --allow-mixed, counted in the metadata', async () => {
  const now = join(tmp, 'legacy-now');
  const old = join(tmp, 'legacy-old');
  await run(base({ seeds: [7] }), now);
  await run(base({ seeds: [11] }), old);
  const ids = enumerateJobs(base({ seeds: [11] })).map((j) => j.id);
  for (const id of ids) {
    const { format, identity, fingerprint, finished_at, ...result } = JSON.parse(
      readFileSync(jobFile(old, id), 'utf8'),
    );
    assert.ok(format && identity && fingerprint && finished_at);
    writeFileSync(jobFile(old, id), JSON.stringify(result)); // as cfinit wrote it before job identities
  }
  assert.throws(
    () => readJobResults([now, old]),
    (err: Error) =>
      err instanceof ResultsError &&
      /job file format 1, expected 2; merge format-1 files only with --allow-mixed$/.test(err.message),
  );
  const merged = mergeResults([now, old], join(tmp, 'legacy-out'), { allowMixed: true });
  assert.deepEqual(merged.results.metadata.seeds, [7, 11]);
  assert.equal(merged.results.metadata.jobs, 2 * ids.length);
  assert.equal(merged.results.metadata.jobs_without_identity, ids.length);
  assert.ok(merged.results.anytime_rows.some((r) => r.seed === 11));
  // a format-1 file with a field of the new format is neither: refused
  const bad = JSON.parse(readFileSync(jobFile(old, ids[0]!), 'utf8'));
  writeFileSync(jobFile(old, ids[0]!), JSON.stringify({ ...bad, identity: null }));
  assert.throws(() => readJobResults([old], { allowMixed: true }), /not a usable job result/);
  // resume never takes a format-1 file as finished
  assert.equal((await run(base({ seeds: [11] }), old)).ran.length, ids.length);
});

test("bench skips (one line each) a start that alone costs backprop's whole budget at toy sizes, and goes on", () => {
  const out = join(tmp, 'spent');
  const r = spawnSync(
    process.execPath,
    [BIN, 'bench', '--quick', '--rows', '40,24', '--scenarios', 'covtype_mlp', '--regimes', 'anytime'].concat([
      '--models',
      'backprop,orthogonal,lsuv',
      '--data-dir',
      samples,
      '--out',
      out,
    ]),
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const skips = r.stderr.split('\n').filter((l) => l.includes('whole budget'));
  assert.ok(skips.length >= 1, r.stderr);
  for (const line of skips)
    assert.match(line, /^cfinit bench: skipping covtype_mlp\.anytime\.(orthogonal|lsuv)\.seed7\.frac1: the start of/);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const models = new Set(results.matched_summary.map((m: { model: string }) => m.model));
  assert.ok(models.has('backprop'));
  assert.equal(models.size, 3 - skips.length, 'every job not skipped is in results.json');
});

test('a no-op re-run keeps results.json as it was (runtime_sec included): same inode, mtime and bytes', async () => {
  const out = join(tmp, 'noop');
  const config = base();
  await run(config, out);
  const first = mergeResults([out], out, { regimes: config.regimes });
  const before = statSync(first.file);
  const text = readFileSync(first.file, 'utf8');
  await new Promise((r) => setTimeout(r, 20));
  await run(config, out);
  const second = mergeResults([out], out, { regimes: config.regimes });
  assert.equal(second.results.metadata.runtime_sec, first.results.metadata.runtime_sec);
  const after = statSync(second.file);
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
  assert.equal(readFileSync(second.file, 'utf8'), text);
});

test('results.json or a job file as a symbolic link is refused, the linked file untouched', async () => {
  const out = join(tmp, 'links');
  const config = base();
  await run(config, out);
  const precious = write(join(tempDir('h19-precious'), 'keep.json'), 'keep');
  symlinkSync(precious, join(out, 'results.json'));
  assert.throws(
    () => mergeResults([out], out),
    (err: Error) => err instanceof FileWriteError && /results\.json: is a symbolic link/.test(err.message),
  );
  assert.equal(readFileSync(precious, 'utf8'), 'keep');
});

test('the bench lock: a live holder is a one-line error, a stale (killed) one is taken over', () => {
  const out = join(tmp, 'lock');
  const release = acquireLock(out);
  assert.throws(
    () => acquireLock(out),
    (err: Error) => err instanceof LockError && new RegExp(`pid ${process.pid}`).test(err.message),
  );
  release();
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout);
  writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), started: 'then' }));
  acquireLock(out)();
  writeFileSync(join(out, LOCK_FILE), ''); // killed while taking it
  acquireLock(out)();
});

test('cfinit bench on a folder another bench holds: exit 1, one line, nothing computed', async () => {
  const out = join(tmp, 'lock-cli');
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    write(join(out, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, host: hostname(), started: 'now' }));
    const r = spawnSync(process.execPath, [BIN, 'bench', '--quick', '--data-dir', samples, '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, CFINIT_DEBUG: '' },
    });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`another cfinit bench \\(pid ${sleeper.pid}`));
  } finally {
    sleeper.kill();
  }
});

test('--shard: absurd or empty values are one-line errors; more shards than jobs give empty shards', () => {
  for (const bad of ['1/99999999999999999999', '', '0/3', '2/1', '1/2000000']) {
    assert.throws(() => parseShard(bad), /--shard: expected i\/n/);
  }
  const jobs = enumerateJobs(base());
  const shards = Array.from({ length: jobs.length + 3 }, (_, i) =>
    shardJobs(jobs, parseShard(`${i + 1}/${jobs.length + 3}`)),
  );
  assert.equal(shards.flat().length, jobs.length);
  assert.deepEqual(shards.slice(jobs.length).flat(), []);
  assert.equal(shardJobs(jobs, parseShard('5/1000000')).length, 1, 'n bounded by the job count in the split');
});

test('configFingerprint is independent of key order and changes with any value', () => {
  assert.equal(configFingerprint({ a: 1, b: { c: [1, 2] } }), configFingerprint({ b: { c: [1, 2] }, a: 1 }));
  assert.notEqual(configFingerprint({ a: 1 }), configFingerprint({ a: 2 }));
  assert.match(configFingerprint({}), /^[0-9a-f]{32}$/);
});

/** cfinit bench at tiny sizes as a child process; its stderr lines that are cfinit's own. */
function benchCli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'bench',
      '--quick',
      '--data-dir',
      samples,
      '--rows',
      '40,24',
      '--scenarios',
      'covtype_mlp',
      '--models',
      'cf-ridge',
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, CFINIT_DEBUG: '', CFINIT_CACHE_DIR: join(tmp, 'cache'), ...env } },
  );
  return { status: r.status, errors: r.stderr.split('\n').filter((l) => l.startsWith('cfinit:')), stderr: r.stderr };
}

test('bench and merge on a bad --out (a file, a symlink loop, jobs a file, a null job file): one line, exit 1', () => {
  const root = tempDir('h19-bench-fs');
  const file = write(join(root, 'afile'), 'mine');
  symlinkSync(join(root, 'loop'), join(root, 'loop'));
  write(join(root, 'jf', 'jobs'), 'not a folder');
  const cases: [string[], RegExp][] = [
    [['--out', file], /afile: exists and is not a folder/],
    [['--out', join(root, 'loop')], /loop: cannot create the folder \(ELOOP/],
    [['--out', join(root, 'jf')], /jf\/jobs\/.*: cannot read the job file \(ENOTDIR/],
    [['--shard', ''], /--shard: expected i\/n/],
    [['--shard', '1/99999999999999999999'], /--shard: expected i\/n/],
  ];
  for (const [args, pattern] of cases) {
    const r = benchCli(args);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.errors.length, 1, r.stderr);
    assert.match(r.errors[0]!, pattern);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
  assert.equal(readFileSync(file, 'utf8'), 'mine');
  write(join(root, 'm', 'jobs', 'covtype_mlp.anytime.cf-ridge.seed7.frac1.json'), 'null\n');
  for (const [dir, pattern] of [
    ['m', /frac1\.json: not a usable job result: does not match the job file schema/],
    ['afile', /afile\/jobs: cannot read the job files \(ENOTDIR/],
    ['loop', /loop\/jobs: cannot read the job files \(ELOOP/],
  ] as const) {
    const r = spawnSync(process.execPath, [BIN, 'bench', 'merge', join(root, dir)], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
});

test('bench on a full or read-only filesystem: one line naming the file, exit 1, the previous results intact', (t) => {
  const mnt = tempDir('h19-bench-tmpfs');
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()})`);
    return;
  }
  try {
    write(join(mnt, 'out', 'results.json'), '{"previous": true}\n');
    const free = Number(spawnSync('df', ['-B1', '--output=avail', mnt], { encoding: 'utf8' }).stdout.split('\n')[1]);
    write(join(mnt, 'filler'), new Uint8Array(Math.max(0, free - 4096)));
    const full = benchCli(['--out', join(mnt, 'out')]);
    assert.equal(full.status, 1, full.stderr);
    assert.equal(full.errors.length, 1, full.stderr);
    assert.match(full.errors[0]!, /out\/.*: cannot (write|create) .*ENOSPC/);
    assert.equal(readFileSync(join(mnt, 'out', 'results.json'), 'utf8'), '{"previous": true}\n');
    spawnSync('mount', ['-o', 'remount,ro', mnt]);
    const ro = benchCli(['--out', join(mnt, 'out')]);
    assert.equal(ro.status, 1, ro.stderr);
    assert.equal(ro.errors.length, 1, ro.stderr);
    assert.match(ro.errors[0]!, /EROFS/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});
