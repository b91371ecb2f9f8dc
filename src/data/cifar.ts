// CIFAR binary version: records of label byte(s) then 3,072 pixel bytes (R, G, B planes, 32×32 row-major).
// CIFAR-100 records carry a coarse and a fine label byte; CIFAR-10 records one label byte.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromTypedArray, type Tensor } from '../torch/index.ts';
import { extractArchive } from './archive.ts';
import type { DownloadSpec } from './download.ts';
import { DataFormatError, DatasetNotFoundError } from './errors.ts';
import { filesMatching, folderWith } from './locate.ts';
import { decodeText, readDataFile } from './read.ts';

export type CifarVariant = 'cifar100' | 'cifar10';

export const CIFAR_PIXELS = 3 * 32 * 32;

interface VariantLayout {
  labelBytes: number;
  numClasses: number;
  folder: string;
  trainFiles: string[];
  testFiles: string[];
  labelNamesFile: string;
  archivePattern: RegExp;
}

const LAYOUT: Record<CifarVariant, VariantLayout> = {
  cifar100: {
    labelBytes: 2,
    numClasses: 100,
    folder: 'cifar-100-binary',
    trainFiles: ['train.bin'],
    testFiles: ['test.bin'],
    labelNamesFile: 'fine_label_names.txt',
    archivePattern: /^cifar-100-binary.*\.(tar\.gz|tgz)$/i,
  },
  cifar10: {
    labelBytes: 1,
    numClasses: 10,
    folder: 'cifar-10-batches-bin',
    trainFiles: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`),
    testFiles: ['test_batch.bin'],
    labelNamesFile: 'batches.meta.txt',
    archivePattern: /^cifar-10-binary.*\.(tar\.gz|tgz)$/i,
  },
};

export const CIFAR100_DOWNLOAD: DownloadSpec = {
  dataset: 'cifar100',
  url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
  filename: 'cifar-100-binary.tar.gz',
  sha256: '58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec',
  checksumSource: 'tensorflow_datasets url_checksums/cifar100.txt',
};
const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

export interface CifarSplit {
  /** uint8 (N, 3, 32, 32) */
  images: Tensor;
  /** int64 (N): fine labels for CIFAR-100, the label for CIFAR-10. */
  labels: Tensor;
}

export interface CifarData {
  variant: CifarVariant;
  folder: string;
  numClasses: number;
  labelNames: string[] | null;
  train: CifarSplit;
  test: CifarSplit;
}

/** Parses the concatenated records of one or more .bin files, checking record size and label range. */
export function parseCifarRecords(bytes: Uint8Array, file: string, variant: CifarVariant): CifarSplit {
  const { labelBytes, numClasses } = LAYOUT[variant];
  const recordSize = labelBytes + CIFAR_PIXELS;
  if (bytes.length === 0) throw new DataFormatError(file, null, `records of ${recordSize} bytes`, 'an empty file');
  if (bytes.length % recordSize !== 0) {
    const whole = Math.floor(bytes.length / recordSize);
    throw new DataFormatError(
      file,
      `record ${whole + 1}`,
      `a whole number of ${recordSize}-byte records (${variant})`,
      `${bytes.length} bytes: the last record is truncated to ${bytes.length - whole * recordSize} bytes`,
    );
  }
  const n = bytes.length / recordSize;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * recordSize;
    if (variant === 'cifar100' && bytes[at] >= 20) {
      throw new DataFormatError(file, `record ${i + 1}`, 'a coarse label byte in 0..19', `${bytes[at]}`);
    }
    const label = bytes[at + labelBytes - 1];
    if (label >= numClasses) {
      const which = variant === 'cifar100' ? 'fine ' : '';
      throw new DataFormatError(file, `record ${i + 1}`, `a ${which}label byte in 0..${numClasses - 1}`, `${label}`);
    }
    labels[i] = label;
  }
  const records = fromTypedArray(bytes, [n, recordSize]);
  const images = records.slice(1, labelBytes).reshape(n, 3, 32, 32).contiguous();
  records.dispose();
  const labelTensor = fromTypedArray(labels).long();
  return { images, labels: labelTensor };
}

function readSplit(folder: string, files: readonly string[], variant: CifarVariant): CifarSplit {
  const recordSize = LAYOUT[variant].labelBytes + CIFAR_PIXELS;
  const parts = files.map((f) => {
    const part = readDataFile(join(folder, f));
    // each file on its own, so a truncated one is named (the concatenation below is checked again whole)
    if (files.length > 1 && part.length % recordSize !== 0) {
      parseCifarRecords(new Uint8Array(part.buffer, part.byteOffset, part.length), join(folder, f), variant);
    }
    return part;
  });
  const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  const name = files.length === 1 ? join(folder, files[0]) : `${join(folder, files[0])} … ${files[files.length - 1]}`;
  return parseCifarRecords(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), name, variant);
}

function readLabelNames(folder: string, layout: VariantLayout): string[] | null {
  const path = join(folder, layout.labelNamesFile);
  if (!existsSync(path)) return null;
  const names = decodeText(readDataFile(path), path, 'label names, one per line')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== layout.numClasses) {
    throw new DataFormatError(path, null, `${layout.numClasses} label names, one per line`, `${names.length}`);
  }
  return names;
}

/**
 * Finds the binary CIFAR data in dataDir (or its cifar-100/ / cifar-10/ folder): an extracted folder, or the
 * official archive, which is extracted once into cacheDir.
 */
export async function loadCifar(
  dataDir: string,
  cacheDir: string,
  variant: CifarVariant = 'cifar100',
): Promise<CifarData> {
  const layout = LAYOUT[variant];
  const dirs = [join(dataDir, variant === 'cifar100' ? 'cifar-100' : 'cifar-10'), dataDir];
  const needed = [...layout.trainFiles, ...layout.testFiles];
  let folder = folderWith(
    dirs.flatMap((d) => [join(d, layout.folder), d]),
    needed,
  );
  if (!folder) {
    const archive = dirs.flatMap((d) => filesMatching(d, layout.archivePattern))[0];
    if (!archive) {
      throw new DatasetNotFoundError(
        variant,
        dirs.map((d) => join(d, `{${layout.folder}/,${layout.folder}*.tar.gz}`)),
        variant === 'cifar100' ? CIFAR100_DOWNLOAD.url : CIFAR10_URL,
      );
    }
    const extracted = await extractArchive(archive, cacheDir);
    folder = folderWith([join(extracted, layout.folder), extracted], needed);
    if (!folder) {
      throw new DataFormatError(archive, null, `a ${layout.folder}/ folder with ${needed.join(', ')}`, 'none');
    }
  }
  return {
    variant,
    folder,
    numClasses: layout.numClasses,
    labelNames: readLabelNames(folder, layout),
    train: readSplit(folder, layout.trainFiles, variant),
    test: readSplit(folder, layout.testFiles, variant),
  };
}
