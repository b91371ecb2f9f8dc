// Forest CoverType: the UCI covtype.data(.gz) (55 integer columns, no header) or the common CSV with a
// header row (54 features + Cover_Type). Labels 1..7 become 0..6.
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DownloadSpec } from './download.ts';
import { DataFormatError, DatasetNotFoundError, shown } from './errors.ts';
import { filesMatching, firstExisting } from './locate.ts';
import { decodeText, readDataFile } from './read.ts';

export const COVTYPE_FEATURES = 54;
export const COVTYPE_CLASSES = 7;

export const COVTYPE_DOWNLOAD: DownloadSpec = {
  dataset: 'covtype',
  // The UCI original is https://archive.ics.uci.edu/ml/machine-learning-databases/covtype/covtype.data.gz;
  // scikit-learn's figshare mirror of the same file publishes a sha256.
  url: 'https://ndownloader.figshare.com/files/5976039',
  filename: 'covtype.data.gz',
  sha256: '614360d0257557dd1792834a85a1cdebfadc3c4f30b011d56afee7ffb5b15771',
  checksumSource: 'scikit-learn sklearn/datasets/_covtype.py',
};

export interface CovtypeTable {
  file: string;
  rows: number;
  /** rows × 54, row-major, the raw feature values. */
  features: Float32Array;
  /** 0..6 */
  labels: Int32Array;
}

/** Parses covtype text: header CSV or headerless UCI rows, comma-separated. */
export function parseCovtype(text: string, file: string): CovtypeTable {
  const columns = COVTYPE_FEATURES + 1;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) {
    throw new DataFormatError(file, null, `rows of ${columns} comma-separated integers`, 'an empty file');
  }
  let first = 0;
  const head = lines[0].replace(/\r$/, '').split(',');
  if (head.length > 0 && Number.isNaN(Number(head[0]))) {
    if (head.length !== columns || head[columns - 1].trim() !== 'Cover_Type') {
      throw new DataFormatError(
        file,
        'line 1',
        `a header of ${COVTYPE_FEATURES} feature names then Cover_Type`,
        `${head.length} columns ending in ${shown(head[head.length - 1])}`,
      );
    }
    first = 1;
  }
  const rows = lines.length - first;
  if (rows === 0) throw new DataFormatError(file, null, 'at least one data row after the header', 'none');
  const features = new Float32Array(rows * COVTYPE_FEATURES);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const lineNo = r + first + 1;
    const fields = lines[r + first].replace(/\r$/, '').split(',');
    if (fields.length !== columns) {
      throw new DataFormatError(file, `line ${lineNo}`, `${columns} comma-separated columns`, `${fields.length}`);
    }
    for (let c = 0; c < COVTYPE_FEATURES; c++) {
      const v = Number(fields[c]);
      if (fields[c].trim() === '' || !Number.isFinite(v)) {
        throw new DataFormatError(file, `line ${lineNo}, column ${c + 1}`, 'a number', shown(fields[c]));
      }
      // stored as float32: a finite double such as 1e39 would become ±Inf there
      if (!Number.isFinite(Math.fround(v))) {
        throw new DataFormatError(
          file,
          `line ${lineNo}, column ${c + 1}`,
          'a number within float32 range (|x| < 3.4e38)',
          shown(fields[c]),
        );
      }
      features[r * COVTYPE_FEATURES + c] = v;
    }
    const label = Number(fields[COVTYPE_FEATURES]);
    if (!Number.isInteger(label) || label < 1 || label > COVTYPE_CLASSES) {
      throw new DataFormatError(
        file,
        `line ${lineNo}, column ${columns}`,
        `a Cover_Type label in 1..${COVTYPE_CLASSES}`,
        shown(fields[COVTYPE_FEATURES]),
      );
    }
    labels[r] = label - 1;
  }
  return { file, rows, features, labels };
}

/** The covtype file in dataDir (or its covtype/ folder): covtype.data, covtype.data.gz, or a covtype*.csv. */
export function findCovtypeFile(dataDir: string): string {
  const dirs = [join(dataDir, 'covtype'), dataDir];
  const named = firstExisting(dirs.flatMap((d) => [join(d, 'covtype.data'), join(d, 'covtype.data.gz')]));
  if (named) return named;
  for (const d of dirs) {
    const csv = filesMatching(d, /^covtype.*\.csv(\.gz)?$/i);
    if (csv.length > 0) return csv[0];
  }
  throw new DatasetNotFoundError(
    'covtype',
    dirs.map((d) => join(d, '{covtype.data[.gz],covtype*.csv}')),
    COVTYPE_DOWNLOAD.url,
  );
}

export function loadCovtype(dataDir: string): CovtypeTable {
  const file = findCovtypeFile(dataDir);
  let bytes: Buffer = readDataFile(file);
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes); // checks the gzip CRC-32 and length
    } catch (err) {
      throw new DataFormatError(file, null, 'gzip-compressed text', (err as Error).message);
    }
  }
  return parseCovtype(decodeText(bytes, file, `rows of ${COVTYPE_FEATURES + 1} comma-separated numbers`), file);
}
