// Extracting official archives (tar.gz, zip) once into the cache dir; later loads reuse the extraction.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { x as untar } from 'tar';
import yauzl from 'yauzl';
import { DataFormatError } from './errors.ts';

const COMPLETE_MARKER = '.cfinit-extracted';

/**
 * Extracts a .tar.gz / .tgz / .zip archive into `<cacheDir>/extracted/<name>-<size>-<mtime>/` and
 * returns that folder. The key changes when the archive does, so a replaced archive is re-extracted.
 */
export async function extractArchive(archivePath: string, cacheDir: string): Promise<string> {
  const info = statSync(archivePath);
  const key = `${basename(archivePath)}-${info.size}-${Math.floor(info.mtimeMs)}`;
  const target = join(cacheDir, 'extracted', key);
  if (existsSync(join(target, COMPLETE_MARKER))) return target;

  // Extract beside the target and rename, so a crash never leaves a half-extracted folder that looks complete.
  const staging = `${target}.partial-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    if (/\.(tar\.gz|tgz)$/i.test(archivePath)) await extractTarGz(archivePath, staging);
    else if (/\.zip$/i.test(archivePath)) await extractZip(archivePath, staging);
    else throw new DataFormatError(archivePath, null, 'a .tar.gz, .tgz or .zip archive');
    writeFileSync(join(staging, COMPLETE_MARKER), `${archivePath}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return target;
}

async function extractTarGz(archivePath: string, into: string): Promise<void> {
  try {
    await untar({ file: archivePath, cwd: into, strict: true });
  } catch (err) {
    throw new DataFormatError(archivePath, null, 'a readable gzip-compressed tar archive', (err as Error).message);
  }
}

function openZip(archivePath: string): Promise<yauzl.ZipFile> {
  return new Promise((ok, fail) => {
    yauzl.open(archivePath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) fail(new DataFormatError(archivePath, null, 'a readable zip archive', err?.message ?? 'nothing'));
      else ok(zip);
    });
  });
}

async function extractZip(archivePath: string, into: string): Promise<void> {
  const zip = await openZip(archivePath);
  const root = resolve(into);
  await new Promise<void>((ok, fail) => {
    zip.on('error', (err: Error) => fail(new DataFormatError(archivePath, null, 'a readable zip archive', err.message)));
    zip.on('end', () => ok());
    zip.on('entry', (entry: yauzl.Entry) => {
      const destination = resolve(root, entry.fileName);
      if (destination !== root && !destination.startsWith(root + sep)) {
        fail(new DataFormatError(archivePath, `entry ${entry.fileName}`, 'a path inside the archive root'));
        return;
      }
      if (entry.fileName.endsWith('/')) {
        mkdirSync(destination, { recursive: true });
        zip.readEntry();
        return;
      }
      mkdirSync(dirname(destination), { recursive: true });
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) {
          fail(new DataFormatError(archivePath, `entry ${entry.fileName}`, 'a readable entry', err?.message));
          return;
        }
        pipeline(stream, createWriteStream(destination)).then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
}
