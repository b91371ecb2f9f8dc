// WikiText-2: wiki.{train,valid,test}.tokens (v1, <unk> for rare words) or the raw variant wiki.*.raw,
// as a folder or the official zip.
import { join } from 'node:path';
import { extractArchive } from './archive.ts';
import type { DownloadSpec } from './download.ts';
import { DataFormatError, DatasetNotFoundError } from './errors.ts';
import { filesMatching, folderWith } from './locate.ts';
import { decodeText, readDataFile } from './read.ts';

export const WIKITEXT2_DOWNLOAD: DownloadSpec = {
  dataset: 'wikitext2',
  url: 'https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip',
  filename: 'wikitext-2-v1.zip',
  sha256: '92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c',
  checksumSource: 'a third-party Lua dataset registry entry for this URL (not verified offline)',
};

export type WikiTextVariant = 'tokens' | 'raw';
const SPLITS = ['train', 'valid', 'test'] as const;

export interface WikiTextData {
  folder: string;
  variant: WikiTextVariant;
  train: string;
  valid: string;
  test: string;
}

/** Reads one split's text, rejecting empty and binary files. */
export function readWikiTextFile(file: string): string {
  const bytes = readDataFile(file);
  if (bytes.length === 0) throw new DataFormatError(file, null, 'WikiText lines of text', 'an empty file');
  return decodeText(bytes, file, 'WikiText lines of UTF-8 text');
}

function findFolder(dirs: readonly string[]): { folder: string; variant: WikiTextVariant } | null {
  for (const variant of ['tokens', 'raw'] as const) {
    const folder = folderWith(
      dirs,
      SPLITS.map((s) => `wiki.${s}.${variant}`),
    );
    if (folder) return { folder, variant };
  }
  return null;
}

/** Reads WikiText-2 from dataDir (its wikitext-2/ folder), or from the official zip extracted into cacheDir. */
export async function loadWikiText2(dataDir: string, cacheDir: string): Promise<WikiTextData> {
  const dirs = [join(dataDir, 'wikitext-2'), join(dataDir, 'wikitext-2-raw'), dataDir];
  let found = findFolder(dirs);
  if (!found) {
    const archive = dirs.flatMap((d) => filesMatching(d, /^wikitext-2.*\.zip$/i))[0];
    if (!archive) {
      throw new DatasetNotFoundError(
        'wikitext2',
        dirs.map((d) => join(d, '{wiki.*.tokens,wiki.*.raw,wikitext-2*.zip}')),
        WIKITEXT2_DOWNLOAD.url,
      );
    }
    const extracted = await extractArchive(archive, cacheDir);
    found = findFolder([join(extracted, 'wikitext-2'), join(extracted, 'wikitext-2-raw'), extracted]);
    if (!found) throw new DataFormatError(archive, null, 'wiki.{train,valid,test}.tokens or .raw', 'neither');
  }
  const { folder, variant } = found;
  const read = (split: string) => readWikiTextFile(join(folder, `wiki.${split}.${variant}`));
  return { folder, variant, train: read('train'), valid: read('valid'), test: read('test') };
}
