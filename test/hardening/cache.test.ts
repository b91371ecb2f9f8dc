// Leftovers and re-runs: stale staging folders of killed extractions are removed on the next run, and a
// dataset file that is already present is verified (not just trusted) by `data download`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CacheDirError,
  DataFormatError,
  downloadDataset,
  extractArchive,
  StalledDownloadError,
  type DownloadSpec,
} from '../../src/data/index.ts';
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

test('a cached extraction is checked against the digests it recorded: a tampered or deleted file is re-extracted', async () => {
  const root = tempDir('h19-digests');
  const src = tempDir('h19-digests-src');
  writeCifar100Folder(src, 2, 1);
  const archive = await tarGz(join(root, 'data', 'cifar-100-binary.tar.gz'), src, ['cifar-100-binary']);
  const cache = join(root, 'cache');
  const target = await extractArchive(archive, cache);
  const train = join(target, 'cifar-100-binary', 'train.bin');
  const original = readFileSync(train);
  // another process (a fresh module state) sees the tampering; this one re-checks on a fresh import too
  const again = (await import(
    `../../src/data/archive.ts?fresh=${Date.now()}`
  )) as typeof import('../../src/data/archive.ts');
  writeFileSync(train, Buffer.alloc(original.length, 7)); // same size, other bytes
  assert.equal(await again.extractArchive(archive, cache), target);
  assert.deepEqual(readFileSync(train), original, 'the tampered file was used, not re-extracted');
  const fresh = (await import(
    `../../src/data/archive.ts?fresh2=${Date.now()}`
  )) as typeof import('../../src/data/archive.ts');
  rmSync(train);
  assert.equal(await fresh.extractArchive(archive, cache), target);
  assert.deepEqual(readFileSync(train), original, 'the deleted file was not re-extracted');
});

test('a full cache folder while extracting is a cache-folder error, not a corrupt archive', async (t) => {
  const root = tempDir('h19-cache-full');
  const src = tempDir('h19-cache-full-src');
  writeCifar100Folder(src, 40, 10);
  const archive = await tarGz(join(root, 'data', 'cifar-100-binary.tar.gz'), src, ['cifar-100-binary']);
  const cache = tempDir('h19-cache-tmpfs');
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', cache], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()})`);
    return;
  }
  try {
    await assert.rejects(
      extractArchive(archive, cache),
      (err: Error) => err instanceof CacheDirError && /ENOSPC/.test(err.message) && !/gzip/.test(err.message),
    );
    assert.deepEqual(readdirSync(join(cache, 'extracted')), [], 'no staging folder left');
  } finally {
    spawnSync('umount', [cache]);
  }
});

test('data download gives up on a server that stalls (headers or body) and says the server stalled', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    if (req.url === '/headers') return; // accepts, never answers
    res.writeHead(200, { 'content-length': '1000' });
    res.write('a few bytes, then nothing');
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const [path, what] of [
      ['headers', 'response headers'],
      ['body', 'data'],
    ]) {
      const folder = tempDir('h19-stall');
      const spec: DownloadSpec = {
        dataset: 'covtype',
        url: `http://127.0.0.1:${port}/${path}`,
        filename: 'covtype.data.gz',
        sha256: '0'.repeat(64),
        checksumSource: 'test',
      };
      const started = performance.now();
      await assert.rejects(
        downloadDataset(spec, folder, { headerMs: 300, stallMs: 300 }),
        (err: Error) =>
          err instanceof StalledDownloadError &&
          err.message.includes(`the server stalled (no ${what} for 0.3 s)`) &&
          !/offline/.test(err.message),
      );
      assert.ok(performance.now() - started < 5000);
      assert.deepEqual(readdirSync(folder), [], 'no partial file left');
    }
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
