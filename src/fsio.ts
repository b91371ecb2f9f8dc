// The one way cfinit writes a file: every byte to a staging file beside the destination (byte count checked),
// fsync, rename over the destination, fsync the folder. A reader sees the old file or the new one, never a
// short one; a destination that is a symbolic link is refused (a rename would replace the link, a plain write
// would follow it, and neither is ours to do). Filesystem failures are one-line FileWriteErrors naming the path.
// Pure: node only (the fs layer is injectable so tests can fail a write deterministically).
import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';
import { CfinitError } from './errors.ts';

/** A file or folder cfinit could not write or read (names the path and the system's reason). */
export class FileWriteError extends CfinitError {
  override name = 'FileWriteError';
}

/** The fs calls the writer makes (node:fs by default). */
export type FsLayer = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync' | 'lstatSync' | 'mkdirSync'
>;

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a component of the path is not a folder',
  ELOOP: 'too many levels of symbolic links',
  EISDIR: 'is a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'already exists',
  EIO: 'input/output error',
};

/** The system error code of err, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** `<path>: cannot <what> (<CODE>: <reason>)` for a system error; anything else is rethrown unchanged. */
export function fileError(err: unknown, path: string, what: string): never {
  if (err instanceof CfinitError) throw err;
  const code = errnoCode(err);
  if (!code) throw err;
  throw new FileWriteError(`${path}: cannot ${what} (${code}: ${REASONS[code] ?? (err as Error).message})`);
}

/** Throws a FileWriteError when path is a symbolic link (a missing path is fine). */
export function refuseSymlink(path: string, fs: Pick<FsLayer, 'lstatSync'> = nodeFs): void {
  let stat: nodeFs.Stats | undefined;
  try {
    stat = fs.lstatSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    fileError(err, path, 'inspect the output path');
  }
  if (stat?.isSymbolicLink()) {
    throw new FileWriteError(`${path}: is a symbolic link; cfinit does not write through links (give the real path)`);
  }
  if (stat?.isDirectory()) throw new FileWriteError(`${path}: is a folder; expected a file path`);
}

/** mkdir -p with a one-line error naming the folder. */
export function makeDir(dir: string, fs: Pick<FsLayer, 'mkdirSync'> = nodeFs): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw new FileWriteError(`${dir}: exists and is not a folder`);
    fileError(err, dir, 'create the folder');
  }
}

/**
 * Writes data to path atomically and completely (see the file comment). The previous file, if any, is intact
 * when this throws; the staging file is removed.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, fs: FsLayer = nodeFs): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  refuseSymlink(path, fs);
  makeDir(dirname(path), fs);
  const staging = `${path}.partial-${process.pid}`;
  try {
    const fd = fs.openSync(staging, 'wx', 0o666);
    try {
      let written = 0;
      while (written < bytes.length) {
        const n = fs.writeSync(fd, bytes, written, bytes.length - written);
        if (!(n > 0)) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        written += n;
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(staging, path);
  } catch (err) {
    try {
      fs.rmSync(staging, { force: true });
    } catch {
      // the staging file is ours and named after this process; a later run removes it
    }
    fileError(err, path, 'write the file');
  }
  syncDir(dirname(path), fs);
}

/** fsync a folder (makes a rename in it durable). */
export function syncDir(dir: string, fs: Pick<FsLayer, 'openSync' | 'fsyncSync' | 'closeSync'> = nodeFs): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    // the rename is done; a folder that cannot be opened for fsync (some filesystems) still holds the file
    if (errnoCode(err) !== 'EISDIR' && errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EACCES') {
      fileError(err, dir, 'flush the folder');
    }
  }
}

/** Writes path only when its content differs (returns whether it wrote). */
export function writeFileIfChanged(path: string, data: string | Uint8Array, fs: FsLayer = nodeFs): boolean {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const stat = nodeFs.lstatSync(path);
    if (stat.isFile() && stat.size === bytes.length && Buffer.from(bytes).equals(nodeFs.readFileSync(path))) {
      return false;
    }
  } catch {
    // absent or unreadable: write it (the writer reports what is wrong)
  }
  writeFileAtomic(path, bytes, fs);
  return true;
}
