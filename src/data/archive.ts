// Extracting official archives (tar.gz, zip) once into the cache dir; later loads reuse the extraction.
import {
  accessSync,
  closeSync,
  openSync,
  readFileSync,
  readSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { x as untar } from 'tar';
import yauzl from 'yauzl';
import { CacheDirError, DataFormatError } from './errors.ts';
import { isProcessAlive } from '../staging.ts';
import { checkDataFile } from './read.ts';

/** Written last into a finished extraction: the archive and every extracted file's size and sha256. */
const COMPLETE_MARKER = '.cfinit-extracted';
const MANIFEST_FORMAT = 2;

interface ExtractionManifest {
  format: typeof MANIFEST_FORMAT;
  archive: string;
  files: Record<string, { size: number; sha256: string }>;
}

function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every regular file under dir (relative paths, sorted), the marker excluded. */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const full = join(dir, e.name);
      if (e.isDirectory()) return listFiles(full, base);
      return e.isFile() && full !== join(base, COMPLETE_MARKER) ? [relative(base, full)] : [];
    })
    .sort();
}

function manifestOf(dir: string, archivePath: string): ExtractionManifest {
  const files: ExtractionManifest['files'] = {};
  for (const f of listFiles(dir)) files[f] = { size: statSync(join(dir, f)).size, sha256: fileSha256(join(dir, f)) };
  return { format: MANIFEST_FORMAT, archive: archivePath, files };
}

/** Extractions already checked by this process (a folder is hashed once per process, not once per load). */
const verified = new Set<string>();

/**
 * Whether target is a finished extraction whose files are all there with the sizes and digests its marker
 * recorded (a tampered, truncated or deleted cached file makes it stale: it is extracted again).
 */
function isIntact(target: string): boolean {
  if (verified.has(target)) return true;
  let manifest: ExtractionManifest;
  try {
    manifest = JSON.parse(readFileSync(join(target, COMPLETE_MARKER), 'utf8')) as ExtractionManifest;
  } catch {
    return false; // absent, or a marker of an older cfinit that recorded no digests
  }
  if (manifest?.format !== MANIFEST_FORMAT || typeof manifest.files !== 'object') return false;
  try {
    const names = Object.keys(manifest.files).sort();
    if (names.join('\0') !== listFiles(target).join('\0')) return false;
    for (const name of names) {
      const want = manifest.files[name]!;
      const path = join(target, name);
      if (statSync(path).size !== want.size || fileSha256(path) !== want.sha256) return false;
    }
  } catch {
    return false;
  }
  verified.add(target);
  return true;
}
/** `<key>.partial-<pid>-<time>`: a staging folder of the process with that id. */
const CACHE_WRITE_FAILURES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR']);
const STAGING = /\.partial-(\d+)-\d+$/;

/** Removes staging folders left by processes that died mid-extraction (a SIGKILL runs no cleanup). */
function removeStaleStaging(extractedDir: string): void {
  for (const name of readdirSync(extractedDir)) {
    const pid = Number(STAGING.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isProcessAlive(pid))
      rmSync(join(extractedDir, name), { recursive: true, force: true });
  }
}

/** Creates <cacheDir>/extracted and checks it is writable; a CacheDirError names CFINIT_CACHE_DIR otherwise. */
function prepareCache(cacheDir: string): string {
  const extractedDir = join(cacheDir, 'extracted');
  try {
    mkdirSync(extractedDir, { recursive: true });
    accessSync(extractedDir, constants.W_OK);
  } catch (err) {
    throw new CacheDirError(cacheDir, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  return extractedDir;
}

/**
 * Extracts a .tar.gz / .tgz / .zip archive into `<cacheDir>/extracted/<name>-<size>-<mtime>/` and
 * returns that folder. The key changes when the archive does, so a replaced archive is re-extracted.
 */
export async function extractArchive(archivePath: string, cacheDir: string): Promise<string> {
  checkDataFile(archivePath);
  const info = statSync(archivePath);
  const key = `${basename(archivePath)}-${info.size}-${Math.floor(info.mtimeMs)}`;
  const extractedDir = prepareCache(cacheDir);
  const target = join(extractedDir, key);
  if (isIntact(target)) return target;
  removeStaleStaging(extractedDir);

  // Extract beside the target and rename, so a crash never leaves a half-extracted folder that looks complete.
  const staging = `${target}.partial-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(staging, { recursive: true });
    if (/\.(tar\.gz|tgz)$/i.test(archivePath)) await extractTarGz(archivePath, staging);
    else if (/\.zip$/i.test(archivePath)) await extractZip(archivePath, staging);
    else throw new DataFormatError(archivePath, null, 'a .tar.gz, .tgz or .zip archive');
    writeFileSync(join(staging, COMPLETE_MARKER), `${JSON.stringify(manifestOf(staging, archivePath))}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    verified.add(target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code && CACHE_WRITE_FAILURES.has(code)) throw new CacheDirError(cacheDir, code);
    throw err;
  }
  return target;
}

async function extractTarGz(archivePath: string, into: string): Promise<void> {
  try {
    await untar({ file: archivePath, cwd: into, strict: true });
  } catch (err) {
    // a write failure (full disk, read-only cache) is the cache folder's, not the archive's
    const code = (err as NodeJS.ErrnoException).code;
    if (code && CACHE_WRITE_FAILURES.has(code)) throw err;
    throw new DataFormatError(archivePath, null, 'a readable gzip-compressed tar archive', (err as Error).message);
  }
}

function openZip(archivePath: string): Promise<yauzl.ZipFile> {
  return new Promise((ok, fail) => {
    yauzl.open(archivePath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) {
        fail(new DataFormatError(archivePath, null, 'a readable zip archive', err?.message ?? 'nothing'));
      } else {
        ok(zip);
      }
    });
  });
}

async function extractZip(archivePath: string, into: string): Promise<void> {
  const zip = await openZip(archivePath);
  const root = resolve(into);
  await new Promise<void>((ok, fail) => {
    zip.on('error', (err: Error) => {
      fail(new DataFormatError(archivePath, null, 'a readable zip archive', err.message));
    });
    zip.on('end', () => ok());
    zip.on('entry', (entry: yauzl.Entry) => {
      // names only: a corrupt archive's entry name may hold any bytes
      const where = `entry ${entry.fileName.replace(/[^\x20-\x7e]/g, '?')}`;
      const destination = resolve(root, entry.fileName);
      if (destination !== root && !destination.startsWith(root + sep)) {
        fail(new DataFormatError(archivePath, where, 'a path inside the archive root'));
        return;
      }
      try {
        mkdirSync(entry.fileName.endsWith('/') ? destination : dirname(destination), { recursive: true });
      } catch (err) {
        fail(err); // a cache-dir failure, mapped by extractArchive
        return;
      }
      if (entry.fileName.endsWith('/')) {
        zip.readEntry();
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) {
          fail(new DataFormatError(archivePath, where, 'a readable entry', err?.message));
          return;
        }
        // yauzl checks sizes but not the CRC-32 the archive records for each entry
        let crc = 0;
        const check = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            crc = crc32(chunk, crc);
            done(null, chunk);
          },
          flush(done) {
            const hex = (n: number) => n.toString(16).padStart(8, '0');
            done(
              crc === entry.crc32
                ? null
                : new DataFormatError(
                    archivePath,
                    where,
                    `CRC-32 ${hex(entry.crc32)}`,
                    `${hex(crc)} (the archive is corrupt)`,
                  ),
            );
          },
        });
        const failed = (e: NodeJS.ErrnoException) => {
          // a write failure (e.syscall set) is the cache dir's; anything else is the archive's
          fail(
            e instanceof DataFormatError || e.syscall
              ? e
              : new DataFormatError(archivePath, where, 'a readable compressed entry', e.message),
          );
        };
        pipeline(stream, check, createWriteStream(destination)).then(() => zip.readEntry(), failed);
      });
    });
    zip.readEntry();
  });
}
