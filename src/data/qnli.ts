// GLUE QNLI: QNLI/train.tsv and dev.tsv with columns index, question, sentence, label. Fields are
// tab-separated with literal quoting (a '"' is just a character), one record per line.
import { join } from 'node:path';
import { extractArchive } from './archive.ts';
import type { DownloadSpec } from './download.ts';
import { DataFormatError, DatasetNotFoundError, shown } from './errors.ts';
import { filesMatching, folderWith } from './locate.ts';
import { decodeText, readDataFile } from './read.ts';

export const QNLI_LABELS = ['entailment', 'not_entailment'] as const;
const HEADER = ['index', 'question', 'sentence', 'label'];

export const QNLI_DOWNLOAD: DownloadSpec = {
  dataset: 'qnli',
  url: 'https://dl.fbaipublicfiles.com/glue/data/QNLIv2.zip',
  filename: 'QNLIv2.zip',
  // Published for the same QNLIv2.zip at its earlier firebasestorage address.
  sha256: 'e634e78627a29adaecd4f955359b22bf5e70f2cbd93b493f2d624138a0c0e5f5',
  checksumSource: 'tensorflow_datasets url_checksums/glue.txt',
};

export interface QnliExample {
  question: string;
  sentence: string;
  /** 0 = entailment, 1 = not_entailment (GLUE's order). */
  label: number;
}

export function parseQnliTsv(text: string, file: string): QnliExample[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) {
    throw new DataFormatError(file, null, `a header row '${HEADER.join('\\t')}'`, 'an empty file');
  }
  const header = lines[0].replace(/\r$/, '').split('\t');
  if (header.length !== HEADER.length || header.some((h, i) => h !== HEADER[i])) {
    throw new DataFormatError(file, 'line 1', `the header '${HEADER.join('\\t')}'`, shown(header.join('\t')));
  }
  const out: QnliExample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i].replace(/\r$/, '').split('\t');
    if (fields.length !== HEADER.length) {
      throw new DataFormatError(file, `line ${i + 1}`, `${HEADER.length} tab-separated columns`, `${fields.length}`);
    }
    const label = (QNLI_LABELS as readonly string[]).indexOf(fields[3]);
    if (label < 0) {
      throw new DataFormatError(file, `line ${i + 1}`, `a label in {${QNLI_LABELS.join(', ')}}`, shown(fields[3]));
    }
    out.push({ question: fields[1], sentence: fields[2], label });
  }
  if (out.length === 0) throw new DataFormatError(file, null, 'at least one example after the header', 'none');
  return out;
}

export interface QnliData {
  folder: string;
  train: QnliExample[];
  dev: QnliExample[];
}

/** Reads QNLI from dataDir (its qnli/ or QNLI/ folder), or from the GLUE zip extracted into cacheDir. */
export async function loadQnli(dataDir: string, cacheDir: string): Promise<QnliData> {
  const dirs = [join(dataDir, 'qnli'), join(dataDir, 'QNLI'), dataDir];
  const needed = ['train.tsv', 'dev.tsv'];
  let folder = folderWith(dirs, needed);
  if (!folder) {
    const archive = dirs.flatMap((d) => filesMatching(d, /^QNLI.*\.zip$/i))[0];
    if (!archive) {
      const searched = dirs.map((d) => join(d, '{train.tsv+dev.tsv,QNLI*.zip}'));
      throw new DatasetNotFoundError('qnli', searched, QNLI_DOWNLOAD.url);
    }
    const extracted = await extractArchive(archive, cacheDir);
    folder = folderWith([join(extracted, 'QNLI'), extracted], needed);
    if (!folder) throw new DataFormatError(archive, null, 'a QNLI/ folder with train.tsv and dev.tsv', 'none');
  }
  const read = (name: string) => {
    const file = join(folder, name);
    return parseQnliTsv(decodeText(readDataFile(file), file, 'tab-separated QNLI text'), file);
  };
  return { folder, train: read('train.tsv'), dev: read('dev.tsv') };
}
