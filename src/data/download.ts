// Fetching the official dataset files for users who are online. Nothing calls this implicitly:
// loaders only read local copies, and tests never download.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataFormatError, OfflineError } from './errors.ts';
import { checkDataFile } from './read.ts';

export interface DownloadSpec {
  /** Dataset name as used by `cfinit data download <name>`. */
  dataset: string;
  url: string;
  /** File name to store under the data dir's dataset folder. */
  filename: string;
  sha256: string;
  /** Where the checksum was published. */
  checksumSource: string;
}

/** sha256 (hex) of a file, streamed. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Downloads spec.url into `<folder>/<filename>`, verifying sha256; returns the path and whether it was
 * fetched. An existing file is not fetched again but is verified the same way.
 */
export async function downloadDataset(spec: DownloadSpec, folder: string): Promise<{ path: string; fetched: boolean }> {
  const destination = join(folder, spec.filename);
  if (existsSync(destination)) {
    checkDataFile(destination);
    const digest = await fileSha256(destination);
    if (digest !== spec.sha256) {
      throw new DataFormatError(
        destination,
        null,
        `sha256 ${spec.sha256} (${spec.checksumSource})`,
        `${digest}; delete the file to download it again`,
      );
    }
    return { path: destination, fetched: false };
  }
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new DataFormatError(
      folder,
      null,
      'a writable dataset folder (--data-dir or CFINIT_DATA_DIR)',
      (err as NodeJS.ErrnoException).code ?? (err as Error).message,
    );
  }
  let response: Response;
  try {
    response = await fetch(spec.url, { redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new OfflineError(spec.url, destination, cause);
  }
  if (!response.ok || !response.body) throw new OfflineError(spec.url, destination, `HTTP ${response.status}`);
  const partial = `${destination}.partial-${process.pid}`;
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  try {
    try {
      await pipeline(body, createWriteStream(partial));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // a local write failure names the file; anything else is the connection dropping
      if (code?.startsWith('E') && (err as { syscall?: string }).syscall) {
        throw new DataFormatError(partial, null, 'a writable file', code);
      }
      throw new OfflineError(spec.url, destination, (err as Error).message);
    }
    const digest = hash.digest('hex');
    if (digest !== spec.sha256) {
      throw new DataFormatError(spec.url, null, `sha256 ${spec.sha256} (${spec.checksumSource})`, digest);
    }
    renameSync(partial, destination);
  } finally {
    rmSync(partial, { force: true });
  }
  return { path: destination, fetched: true };
}
