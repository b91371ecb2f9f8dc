// Fetching the official dataset files for users who are online. Nothing calls this implicitly:
// loaders only read local copies, and tests never download.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataFormatError, OfflineError } from './errors.ts';

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

/** Downloads spec.url into `<folder>/<filename>`, verifying sha256; returns the path. Skips an existing file. */
export async function downloadDataset(spec: DownloadSpec, folder: string): Promise<string> {
  const destination = join(folder, spec.filename);
  if (existsSync(destination)) return destination;
  mkdirSync(folder, { recursive: true });
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
    await pipeline(body, createWriteStream(partial));
    const digest = hash.digest('hex');
    if (digest !== spec.sha256) {
      throw new DataFormatError(spec.url, null, `sha256 ${spec.sha256} (${spec.checksumSource})`, digest);
    }
    renameSync(partial, destination);
  } finally {
    rmSync(partial, { force: true });
  }
  return destination;
}
