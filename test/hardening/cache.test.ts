// Leftovers and re-runs: stale staging folders of killed extractions are removed on the next run, and a
// dataset file that is already present is verified (not just trusted) by `data download`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, downloadDataset, extractArchive, type DownloadSpec } from '../../src/data/index.ts';
import { tarGz, tempDir, write, writeCifar100Folder } from '../data/fixtures.ts';

test('staging folders left by dead processes are removed on the next extraction; a live one is kept', async () => {
  const root = tempDir('h11-staging');
  const src = tempDir('h11-staging-src');
  writeCifar100Folder(src, 2, 1);
  const archive = await tarGz(join(root, 'data', 'cifar-100-binary.tar.gz'), src, ['cifar-100-binary']);
  const cache = join(root, 'cache');
  // a process that has exited (its pid is free) and one that is still running
  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const alive = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    const stale = join(cache, 'extracted', `cifar-100-binary.tar.gz-1-2.partial-${deadPid}-123`);
    const live = join(cache, 'extracted', `cifar-100-binary.tar.gz-1-2.partial-${alive.pid}-456`);
    write(join(stale, 'cifar-100-binary', 'train.bin'), new Uint8Array(1000));
    mkdirSync(live, { recursive: true });
    const target = await extractArchive(archive, cache);
    assert.ok(existsSync(join(target, 'cifar-100-binary', 'train.bin')));
    assert.equal(existsSync(stale), false, "the dead process's staging folder is still there");
    assert.equal(existsSync(live), true, "a running process's staging folder was removed");
    const left = readdirSync(join(cache, 'extracted')).sort();
    assert.deepEqual(left, [target.split('/').pop(), live.split('/').pop()].sort());
  } finally {
    alive.kill();
  }
});

test('downloading a file that already exists verifies its sha256 instead of claiming it', async () => {
  const folder = tempDir('h11-download');
  const file = write(join(folder, 'covtype.data.gz'), 'the real bytes');
  const digest = createHash('sha256').update('the real bytes').digest('hex');
  // an unreachable URL: nothing may be fetched when the file is already there
  const spec: DownloadSpec = {
    dataset: 'covtype',
    url: 'http://127.0.0.1:9/never',
    filename: 'covtype.data.gz',
    sha256: digest,
    checksumSource: 'test',
  };
  assert.deepEqual(await downloadDataset(spec, folder), { path: file, fetched: false });
  write(file, 'tampered bytes');
  await assert.rejects(
    downloadDataset(spec, folder),
    (err: Error) =>
      err instanceof DataFormatError &&
      err.message.startsWith(`${file}: expected sha256 ${digest} (test), found `) &&
      /delete the file to download it again/.test(err.message),
  );
});
