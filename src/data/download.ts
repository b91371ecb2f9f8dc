// Fetching the official dataset files for users who are online. Nothing calls this implicitly:
// loaders only read local copies, and tests never download.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataFormatError, OfflineError, StalledDownloadError } from './errors.ts';
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

/** How long a download waits for the response headers, and for the next bytes of the body. */
export interface DownloadTimeouts {
  headerMs: number;
  stallMs: number;
}

export const DOWNLOAD_TIMEOUTS: DownloadTimeouts = { headerMs: 30_000, stallMs: 30_000 };

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
export async function downloadDataset(
  spec: DownloadSpec,
  folder: string,
  timeouts: DownloadTimeouts = DOWNLOAD_TIMEOUTS,
): Promise<{ path: string; fetched: boolean }> {
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
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  // one controller: aborted when the headers take too long, or later when the body stops for too long
  const abort = new AbortController();
  let stalled: 'response headers' | 'data' | null = null;
  let timer = setTimeout(() => {
    stalled = 'response headers';
    abort.abort();
  }, timeouts.headerMs);
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = 'data';
      abort.abort();
    }, timeouts.stallMs);
  };
  const stallError = () =>
    new StalledDownloadError(
      spec.url,
      destination,
      stalled!,
      seconds(stalled === 'data' ? timeouts.stallMs : timeouts.headerMs),
    );
  let response: Response;
  try {
    response = await fetch(spec.url, { redirect: 'follow', signal: abort.signal });
  } catch (err) {
    clearTimeout(timer);
    if (stalled) throw stallError();
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new OfflineError(spec.url, destination, cause);
  }
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    throw new OfflineError(spec.url, destination, `HTTP ${response.status}`);
  }
  rearm();
  const partial = `${destination}.partial-${process.pid}`;
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    rearm();
  });
  try {
    try {
      await pipeline(body, createWriteStream(partial));
    } catch (err) {
      if (stalled) throw stallError();
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
    clearTimeout(timer);
    rmSync(partial, { force: true });
  }
  return { path: destination, fetched: true };
}
