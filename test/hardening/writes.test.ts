// Writes are complete or absent: a full disk, a read-only folder or a symbolic link at the destination is a
// one-line error naming the path, the previous file stays as it was, and no staging file is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { FileWriteError, writeFileAtomic, writeFileIfChanged, type FsLayer } from '../../src/fsio.ts';
import { tempDir } from '../data/fixtures.ts';

const dir = tempDir('h19-writes');
const staging = (d: string) => fs.readdirSync(d).filter((f) => f.includes('.partial-'));

function oneLine(pattern: RegExp) {
  return (err: Error) => {
    assert.ok(err instanceof FileWriteError, `expected a FileWriteError, got ${err.stack}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    return true;
  };
}

test('a write the disk cuts short (ENOSPC, or a write of 0 bytes) keeps the previous file and leaves no staging', () => {
  const path = join(dir, 'results.json');
  fs.writeFileSync(path, 'previous');
  let calls = 0;
  const full: FsLayer = {
    ...fs,
    writeSync: ((fd: number, buf: Uint8Array, off: number, len: number) => {
      if (calls++ > 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return fs.writeSync(fd, buf, off, Math.min(len, 10)); // the first call writes 10 bytes only
    }) as FsLayer['writeSync'],
  };
  assert.throws(() => writeFileAtomic(path, 'x'.repeat(1000), full), oneLine(/results\.json: cannot write .*ENOSPC/));
  assert.equal(fs.readFileSync(path, 'utf8'), 'previous');
  const zero: FsLayer = { ...fs, writeSync: (() => 0) as unknown as FsLayer['writeSync'] };
  assert.throws(() => writeFileAtomic(path, 'new content', zero), oneLine(/ENOSPC/));
  assert.equal(fs.readFileSync(path, 'utf8'), 'previous');
  assert.deepEqual(staging(dir), []);
  writeFileAtomic(path, 'new content');
  assert.equal(fs.readFileSync(path, 'utf8'), 'new content');
});

test('a real full filesystem (64 KiB tmpfs): ENOSPC in one line, previous file intact', (t) => {
  const mnt = tempDir('h19-tmpfs');
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(
      `cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}); injected-fs test covers it`,
    );
    return;
  }
  try {
    const path = join(mnt, 'report.html');
    fs.writeFileSync(path, 'previous page');
    assert.throws(() => writeFileAtomic(path, 'x'.repeat(200_000)), oneLine(/report\.html: cannot write .*ENOSPC/));
    assert.equal(fs.readFileSync(path, 'utf8'), 'previous page');
    assert.deepEqual(staging(mnt), []);
    spawnSync('mount', ['-o', 'remount,ro', mnt]);
    assert.throws(() => writeFileAtomic(path, 'small'), oneLine(/report\.html: cannot write .*EROFS/));
    assert.equal(fs.readFileSync(path, 'utf8'), 'previous page');
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a symbolic link at the destination is refused; the file it points at is untouched', () => {
  const elsewhere = join(tempDir('h19-elsewhere'), 'precious.txt');
  fs.writeFileSync(elsewhere, 'precious');
  const link = join(dir, 'linked.json');
  fs.symlinkSync(elsewhere, link);
  assert.throws(() => writeFileAtomic(link, '{}'), oneLine(/linked\.json: is a symbolic link/));
  assert.equal(fs.readFileSync(elsewhere, 'utf8'), 'precious');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  const loop = join(dir, 'loop.json');
  fs.symlinkSync(loop, loop);
  assert.throws(() => writeFileAtomic(loop, '{}'), oneLine(/loop\.json: is a symbolic link/));
  assert.throws(() => writeFileAtomic(join(elsewhere, 'x.json'), '{}'), oneLine(/x\.json: cannot .*ENOTDIR/));
});

test('writeFileIfChanged leaves an unchanged file alone (same inode and mtime)', () => {
  const path = join(dir, 'same.json');
  assert.equal(writeFileIfChanged(path, 'abc'), true);
  const before = fs.statSync(path);
  assert.equal(writeFileIfChanged(path, 'abc'), false);
  const after = fs.statSync(path);
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
  assert.equal(writeFileIfChanged(path, 'abd'), true);
});
