// One bench process per results folder: <out>/.cfinit-bench.lock holds the owner's pid and host. A lock whose
// process is gone (killed: no cleanup ran) is stale and taken over; a live one is a one-line error.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CfinitError } from '../errors.ts';
import { errnoCode, fileError, makeDir } from '../fsio.ts';
import { isProcessAlive } from '../staging.ts';

export const LOCK_FILE = '.cfinit-bench.lock';

export class LockError extends CfinitError {
  override name = 'LockError';
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' ? owner : null;
  } catch {
    return null; // half-written by a process killed while taking it, or removed meanwhile
  }
}

/** Takes the lock of outDir (creating the folder); returns its release. Throws a LockError while another holds it. */
export function acquireLock(outDir: string): () => void {
  makeDir(outDir);
  const path = join(outDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') fileError(err, path, 'create the lock file');
      const owner = readOwner(path);
      if (owner && owner.host !== me.host) {
        throw new LockError(
          `${outDir}: locked by cfinit bench pid ${owner.pid} on ${owner.host} since ${owner.started}; ` +
            `if that run is gone, remove ${path}`,
        );
      }
      if (owner && isProcessAlive(owner.pid)) {
        throw new LockError(
          `${outDir}: another cfinit bench (pid ${owner.pid}, since ${owner.started}) is writing here; ` +
            'wait for it to finish or use another --out',
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone (or it never got its content written)
      continue;
    }
    try {
      const text = JSON.stringify(me);
      writeSync(fd, text);
    } catch (err) {
      closeSync(fd);
      rmSync(path, { force: true });
      fileError(err, path, 'write the lock file');
    }
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
    };
    process.on('exit', release);
    return release;
  }
  throw new LockError(`${outDir}: cannot take ${path} (other processes keep taking it)`);
}
