// A user's own data as scenario kinds: `csv:FILE` (the covtype/MLP pipeline), `text:FILE` (QNLI's), `lm:DIR`
// (WikiText-2's) and `images:DIR` (CIFAR's). Widths, classes and vocabulary come from the data; views, OOD shifts
// and defaults are the matching reference scenario's. Every random draw (the train/test split included) is seeded.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { finiteNumber, oneOf, positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';
import { SCENARIO_SHAPES } from '../reference.ts';
import { dispose, fromTypedArray, Generator, randperm, tidy, type Tensor } from '../torch/index.ts';
import { DataFormatError, shown } from './errors.ts';
import { readDataFile } from './read.ts';
import type { LoadOptions, ScenarioEntry, ScenarioKind } from './registry.ts';
import type { Scenario } from './scenario.ts';
import { buildImageScenario, buildNextTokenScenario, buildTextClassificationScenario } from './scenarios.ts';
import { columnIndex, readTable, type Table } from './tables.ts';
import { tokenize } from './tokenizer.ts';
import { tabularView } from './views.ts';
import { readWikiTextFile } from './wikitext.ts';

/** How a user's file is read; each kind takes some of these (the others are a ConfigError there). */
export interface UserDataOptions {
  /** csv, text: the label column. */
  label?: string;
  /** text: the text column(s), joined by a space. */
  textColumns?: string[];
  /** csv, text: a test file with the same columns; images: a test folder with the same classes. */
  test?: string;
  /** csv, text, images without `test`: the seeded fraction of the rows held out for testing. */
  testFraction?: number;
  /** csv: 'mean' fills a missing value with its column's mean over the train rows; 'none' makes it an error. */
  fill?: 'none' | 'mean';
  /** csv: the most distinct values a string column may have (each becomes a one-hot column). */
  maxCategories?: number;
}

export const USER_DATA_DEFAULTS: Required<Omit<UserDataOptions, 'test'>> & { test: string | null } = {
  label: 'label',
  textColumns: ['text'],
  test: null,
  testFraction: 0.2,
  fill: 'none',
  maxCategories: 64,
};

type Resolved = typeof USER_DATA_DEFAULTS;
type OptionName = keyof UserDataOptions;

/** The command-line flag of each option (errors name both). */
export const USER_DATA_FLAGS: Record<OptionName, string> = {
  label: '--label',
  textColumns: '--text-col',
  test: '--test',
  testFraction: '--test-fraction',
  fill: '--fill',
  maxCategories: '--max-categories',
};

/** Checks the options a kind takes (a ConfigError for one it does not) and fills in the defaults. */
function resolveOptions(kind: string, takes: readonly OptionName[], given: UserDataOptions = {}): Resolved {
  for (const [k, v] of Object.entries(given)) {
    if (!(k in USER_DATA_FLAGS)) throw new ConfigError(`${kind}: unknown data option '${k}'`);
    if (v !== undefined && !takes.includes(k as OptionName)) {
      const accepted = takes.length ? `takes ${takes.map((t) => USER_DATA_FLAGS[t]).join(', ')}` : 'takes none';
      throw new ConfigError(`${USER_DATA_FLAGS[k as OptionName]} (${k}) does not apply to ${kind}: data (${accepted})`);
    }
  }
  if (given.test !== undefined && given.testFraction !== undefined) {
    throw new ConfigError(`${kind}: pass --test (test) or --test-fraction (testFraction), not both`);
  }
  const o = { ...USER_DATA_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  if (o.label === '') throw new ConfigError(`${kind}: the label column name is empty`);
  if (o.textColumns.length === 0 || o.textColumns.some((c) => c === '')) {
    throw new ConfigError(`${kind}: text columns must be non-empty names, got '${o.textColumns.join(',')}'`);
  }
  finiteNumber(o.testFraction, `${kind}: test fraction`, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  oneOf(o.fill, `${kind}: fill`, ['none', 'mean'] as const);
  positiveInt(o.maxCategories, `${kind}: max categories`);
  return o;
}

// ---- splits and labels ----------------------------------------------------------------------------

/** A seeded order of n rows: int64 randperm from Generator(seed), as numbers. */
function permutation(n: number, seed: number): number[] {
  return tidy(() => randperm(n, { generator: new Generator(seed) }).toArray());
}

/** Rows of one file split by a seeded permutation: the first round(f·N) (at least 1) test, the rest train. */
function splitRows(n: number, fraction: number, seed: number, file: string): { train: number[]; test: number[] } {
  const nTest = Math.max(1, Math.round(fraction * n));
  if (n - nTest < 1) {
    throw new DataFormatError(file, null, `enough rows to hold out a test fraction of ${fraction}`, `${n} rows`);
  }
  const order = permutation(n, seed);
  return { train: order.slice(nTest), test: order.slice(0, nTest) };
}

/** The first `count` of `rows` (all when count is undefined); more than there are is a ConfigError. */
function firstRows(rows: number[], count: number | undefined, what: string): number[] {
  if (count === undefined) return rows;
  positiveInt(count, `number of ${what}`);
  if (count > rows.length) throw new ConfigError(`cannot draw ${count} ${what}: only ${rows.length} available`);
  return rows.slice(0, count);
}

const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Class names of a table's label column: sorted numerically when all are numbers, else as strings; at least two.
 * An empty label is an error naming its line.
 */
function classNames(table: Table, column: number): string[] {
  const name = table.header[column]!;
  const values = table.rows.map((r) => r[column]!);
  const empty = values.findIndex((v) => v.trim() === '');
  if (empty >= 0) {
    throw new DataFormatError(table.file, `line ${table.lines[empty]}, column ${shown(name)}`, 'a label', "''");
  }
  const file = table.file;
  const distinct = [...new Set(values)];
  const numeric = distinct.every(isNumber);
  distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (distinct.length < 2) {
    const found = distinct.length === 0 ? 'none' : `only ${shown(distinct[0]!)}`;
    throw new DataFormatError(file, `column ${shown(name)}`, 'labels of at least two classes', found);
  }
  return distinct;
}

/** Class ids of a table's label column at the given rows; a missing or unseen label names its line. */
function labelIds(table: Table, column: number, rows: readonly number[], classes: readonly string[]): Int32Array {
  const id = new Map(classes.map((c, i) => [c, i]));
  const name = shown(table.header[column]!);
  return Int32Array.from(rows, (r) => {
    const v = table.rows[r]![column]!;
    const k = id.get(v);
    if (k === undefined) {
      const expected = v.trim() === '' ? 'a label' : `a label of the training data (${classes.join(', ')})`;
      throw new DataFormatError(table.file, `line ${table.lines[r]}, column ${name}`, expected, shown(v));
    }
    return k;
  });
}

// ---- csv: ----------------------------------------------------------------------------------------

/** pandas' default missing-value markers (and the empty field). */
const MISSING = new Set(['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', '-NaN', '-nan', 'null', 'NULL', 'None', '<NA>', '#N/A']);

/** How a feature column becomes numbers: itself, or one 0/1 column per distinct training value. */
export type ColumnCode =
  { name: string; index: number; kind: 'number' } | { name: string; index: number; kind: 'category'; values: string[] };

/** The feature columns of a training table (every column but the label): numbers, else one-hot strings. */
export function columnCodes(table: Table, label: number, maxCategories: number): ColumnCode[] {
  return table.header.flatMap((name, index): ColumnCode[] => {
    if (index === label) return [];
    const present = table.rows.map((r) => r[index]!).filter((v) => !MISSING.has(v.trim()));
    const firstText = table.rows.findIndex((r) => !MISSING.has(r[index]!.trim()) && !isNumber(r[index]!));
    if (firstText < 0) return [{ name, index, kind: 'number' }];
    const values = [...new Set(present)].sort();
    if (values.length > maxCategories) {
      throw new DataFormatError(
        table.file,
        `column ${shown(name)}`,
        `at most ${maxCategories} distinct values in a text column (each becomes a one-hot column; ` +
          '--max-categories raises the cap)',
        `${values.length}, the first text ${shown(table.rows[firstText]![index]!)} on line ${table.lines[firstText]}`,
      );
    }
    return [{ name, index, kind: 'category', values }];
  });
}

/** Feature names after encoding: the numeric column's name, or `name=value` per one-hot column. */
export function featureNames(codes: readonly ColumnCode[]): string[] {
  return codes.flatMap((c) => (c.kind === 'number' ? [c.name] : c.values.map((v) => `${c.name}=${v}`)));
}

/**
 * The encoded rows (rows × width, row-major); a missing value is NaN when `fill` is 'mean' (filled later from the
 * train rows), else an error naming line and column. A category unseen in training is all zeros.
 */
function encodeRows(table: Table, codes: readonly ColumnCode[], rows: readonly number[], fill: string): Float64Array {
  const width = featureNames(codes).length;
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, i) => {
    const fields = table.rows[r]!;
    let at = i * width;
    for (const c of codes) {
      const v = fields[c.index]!;
      const span = c.kind === 'number' ? 1 : c.values.length;
      if (MISSING.has(v.trim())) {
        if (fill !== 'mean') {
          throw new DataFormatError(
            table.file,
            `line ${table.lines[r]}, column ${shown(c.name)}`,
            'a value (--fill mean fills missing values with the training mean)',
            shown(v),
          );
        }
        out.fill(NaN, at, at + span);
      } else if (c.kind === 'number') {
        const x = Number(v);
        if (!isNumber(v) || !Number.isFinite(Math.fround(x))) {
          const expected = isNumber(v) ? 'a number within float32 range (|x| < 3.4e38)' : 'a number';
          throw new DataFormatError(table.file, `line ${table.lines[r]}, column ${shown(c.name)}`, expected, shown(v));
        }
        out[at] = x;
      } else {
        const k = c.values.indexOf(v);
        if (k >= 0) out[at + k] = 1;
      }
      at += span;
    }
  });
  return out;
}

/** Replaces NaN by the column mean of `train` (0 when a column has no value there), in both arrays. */
function fillWithTrainMean(train: Float64Array, test: Float64Array, width: number): void {
  for (let j = 0; j < width; j++) {
    let sum = 0;
    let count = 0;
    for (let i = j; i < train.length; i += width) {
      if (!Number.isNaN(train[i]!)) {
        sum += train[i]!;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 0;
    for (const a of [train, test]) for (let i = j; i < a.length; i += width) if (Number.isNaN(a[i]!)) a[i] = mean;
  }
}

/**
 * z = (x − μ) / σ with μ, σ (population std) from the train rows, as covtype's, except that a column constant in
 * the train rows (σ < 1e-6) keeps σ = 1 (scikit-learn's StandardScaler): covtype's clamp to 1e-6 would turn a
 * one-hot value seen only in the test rows into 10⁶.
 */
function standardize(train: Tensor, test: Tensor): { train: Tensor; test: Tensor } {
  return tidy(() => {
    const mean = train.mean(0, true);
    const std = train.std(0, { unbiased: false, keepdim: true });
    const scale = std.maskedFill(std.lt(1e-6), 1);
    return { train: train.sub(mean).div(scale), test: test.sub(mean).div(scale) };
  });
}

/** `csv:FILE`: the covtype/MLP pipeline on a user's table (z-scored with train statistics, mask-and-noise views). */
export function loadCsvScenario(name: string, file: string, options: LoadOptions): Scenario {
  const o = resolveOptions('csv', ['label', 'test', 'testFraction', 'fill', 'maxCategories'], options.data);
  const seed = options.seed ?? 0;
  const table = readTable(file);
  const label = columnIndex(table, o.label, 'label');
  const classes = classNames(table, label);
  const codes = columnCodes(table, label, o.maxCategories);
  if (codes.length === 0)
    throw new DataFormatError(file, 'line 1', 'at least one feature column beside the label', 'none');
  const width = featureNames(codes).length;
  const testTable = o.test === null ? table : readTable(o.test);
  if (testTable !== table) {
    for (const c of [...codes.map((c) => c.name), o.label])
      columnIndex(testTable, c, c === o.label ? 'label' : 'feature');
  }
  // The test table's columns by name (a test file may order them differently).
  const testCodes = codes.map((c) => ({ ...c, index: testTable.header.indexOf(c.name) }));
  const split =
    o.test === null
      ? splitRows(table.rows.length, o.testFraction, seed, file)
      : { train: permutation(table.rows.length, seed), test: permutation(testTable.rows.length, seed + 1) };
  const trainRows = firstRows(split.train, options.nTrain, `train rows of ${file}`);
  const testRows = firstRows(split.test, options.nTest, `test rows of ${testTable.file}`);
  const trainX = encodeRows(table, codes, trainRows, o.fill);
  const testX = encodeRows(testTable, testCodes, testRows, o.fill);
  if (o.fill === 'mean') fillWithTrainMean(trainX, testX, width);
  const trainY = labelIds(table, label, trainRows, classes);
  const testY = labelIds(testTable, testTable.header.indexOf(o.label), testRows, classes);
  const built = tidy(() => {
    const z = standardize(
      fromTypedArray(Float32Array.from(trainX), [trainRows.length, width]),
      fromTypedArray(Float32Array.from(testX), [testRows.length, width]),
    );
    return {
      train: { raw: z.train, labels: fromTypedArray(trainY).long() },
      test: { raw: z.test, labels: fromTypedArray(testY).long() },
    };
  });
  const maskProb = 0.15;
  const noiseStd = 0.1;
  return {
    name,
    architecture: 'mlp',
    modality: 'tabular',
    task: 'classification',
    pooling: 'none',
    metric: 'accuracy',
    numClasses: classes.length,
    seed,
    ...built,
    inputShape: [width],
    view: { kind: 'mask-and-noise', maskProb, noiseStd },
    augmentTrainingBatches: false,
    encode: (raw: Tensor) => raw,
    augment: (raw, generator) => tabularView(raw, generator, maskProb, noiseStd),
    state: {},
    details: {
      source: resolve(file),
      sha256: table.sha256,
      ...(testTable !== table ? { test: resolve(testTable.file), testSha256: testTable.sha256 } : {}),
      rows: table.rows.length,
      label: o.label,
      classes: classes.join(','),
      features: width,
      oneHot: codes.filter((c) => c.kind === 'category').length,
      fill: o.fill,
    },
  };
}

// ---- text: ---------------------------------------------------------------------------------------

/** `text:FILE` (CSV, TSV or JSON Lines): the QNLI pipeline on a text column (or several, joined) and a label. */
export function loadTextScenario(name: string, file: string, options: LoadOptions): Scenario {
  const o = resolveOptions('text', ['label', 'textColumns', 'test', 'testFraction'], options.data);
  const seed = options.seed ?? 0;
  const table = readTable(file);
  const testTable = o.test === null ? table : readTable(o.test);
  const columns = (t: Table) => ({
    label: columnIndex(t, o.label, 'label'),
    text: o.textColumns.map((c) => columnIndex(t, c, 'text')),
  });
  const trainCols = columns(table);
  const testCols = columns(testTable);
  const classes = classNames(table, trainCols.label);
  const split =
    o.test === null
      ? splitRows(table.rows.length, o.testFraction, seed, file)
      : { train: table.rows.map((_, i) => i), test: testTable.rows.map((_, i) => i) };
  const examples = (t: Table, cols: typeof trainCols, rows: number[]) => ({
    texts: rows.map((r) => cols.text.map((c) => t.rows[r]![c]!).join(' ')),
    labels: [...labelIds(t, cols.label, rows, classes)],
  });
  const train = examples(table, trainCols, split.train);
  const longest = train.texts.reduce((m, t) => Math.max(m, tokenize(t).length), 0);
  return buildTextClassificationScenario(
    name,
    { folder: resolve(file), train, test: examples(testTable, testCols, split.test), classes: classes.length },
    // The reference's 80 tokens, or the longest train text when shorter (no all-padding positions).
    { seed, nTrain: options.nTrain, nTest: options.nTest, seqLen: Math.max(1, Math.min(QNLI_TOKENS, longest)) },
    {
      sha256: table.sha256,
      ...(testTable !== table ? { test: resolve(testTable.file), testSha256: testTable.sha256 } : {}),
      rows: table.rows.length,
      label: o.label,
      classes: classes.join(','),
      textColumns: o.textColumns.join(','),
    },
  );
}

// ---- lm: ----------------------------------------------------------------------------------------

/** `lm:DIR`: the WikiText-2 next-token pipeline on DIR/train.txt and DIR/valid.txt. */
export function loadLmScenario(name: string, dir: string, options: LoadOptions): Scenario {
  resolveOptions('lm', [], options.data);
  const read = (split: string) => {
    const file = join(dir, `${split}.txt`);
    return { text: readWikiTextFile(file), sha256: createHash('sha256').update(readDataFile(file)).digest('hex') };
  };
  const train = read('train');
  const valid = read('valid');
  return buildNextTokenScenario(
    name,
    { folder: resolve(dir), train: train.text, valid: valid.text },
    { seed: options.seed ?? 0, nTrain: options.nTrain, nTest: options.nTest },
    { trainSha256: train.sha256, validSha256: valid.sha256 },
  );
}

// ---- images: -------------------------------------------------------------------------------------

const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;
const QNLI_TOKENS = SCENARIO_SHAPES.qnli_transformer.tokens;
/** The CIFAR pipeline's image side. */
const SIDE = 32;

/** An ImageFolder: DIR/<class>/*.png|jpg, classes in name order (torchvision's convention). */
export function listImageFolder(dir: string): { classes: string[]; files: string[]; labels: number[] } {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    throw new DataFormatError(dir, null, 'a folder of class folders (DIR/<class>/*.png|jpg)', (err as Error).message);
  }
  const classes = entries.filter((e) => !e.startsWith('.') && statSync(join(dir, e)).isDirectory());
  if (classes.length < 2) {
    throw new DataFormatError(dir, null, 'at least two class folders (DIR/<class>/*.png|jpg)', `${classes.length}`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, k) => {
    const images = readdirSync(join(dir, c))
      .filter((f) => IMAGE_FILE.test(f))
      .sort();
    if (images.length === 0) throw new DataFormatError(join(dir, c), null, 'PNG, JPEG or WebP images', 'none');
    for (const f of images) {
      files.push(join(dir, c, f));
      labels.push(k);
    }
  });
  return { classes, files, labels };
}

/** One image as uint8 RGB planes (3, 32, 32): decoded by sharp, alpha dropped, resized to 32×32 (squashed). */
async function decodeImage(file: string): Promise<Uint8Array> {
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(readDataFile(file))
      .removeAlpha()
      .toColourspace('srgb')
      .resize(SIDE, SIDE, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    throw new DataFormatError(file, null, 'a PNG, JPEG or WebP image', (err as Error).message);
  }
  const { data, info } = pixels;
  if (info.channels !== 3) throw new DataFormatError(file, null, 'an RGB or grey image', `${info.channels} channels`);
  const planes = new Uint8Array(3 * SIDE * SIDE); // HWC → CHW
  for (let p = 0; p < SIDE * SIDE; p++) for (let c = 0; c < 3; c++) planes[c * SIDE * SIDE + p] = data[p * 3 + c]!;
  return planes;
}

/** The images as uint8 (N, 3, 32, 32) and their labels int64 (N), decoded a few at a time. */
async function decodeImages(files: readonly string[], labels: readonly number[]) {
  const all = new Uint8Array(files.length * 3 * SIDE * SIDE);
  const hash = createHash('sha256');
  const chunk = 16;
  for (let start = 0; start < files.length; start += chunk) {
    const part = files.slice(start, start + chunk);
    const decoded = await Promise.all(part.map(decodeImage));
    decoded.forEach((d, i) => all.set(d, (start + i) * d.length));
  }
  for (const f of files) hash.update(f).update(readDataFile(f));
  return {
    split: tidy(() => ({
      images: fromTypedArray(all, [files.length, 3, SIDE, SIDE]),
      labels: fromTypedArray(Int32Array.from(labels)).long(),
    })),
    sha256: hash.digest('hex'),
  };
}

/** `images:DIR`: the CIFAR pipeline (32×32, 8×8 patches, random-affine views) on a user's ImageFolder. */
export async function loadImageScenario(name: string, dir: string, options: LoadOptions): Promise<Scenario> {
  const o = resolveOptions('images', ['test', 'testFraction'], options.data);
  const seed = options.seed ?? 0;
  const folder = listImageFolder(dir);
  let train: { files: string[]; labels: number[] };
  let test: { files: string[]; labels: number[] };
  if (o.test === null) {
    const rows = splitRows(folder.files.length, o.testFraction, seed, dir);
    const pick = (r: number[]) => ({ files: r.map((i) => folder.files[i]!), labels: r.map((i) => folder.labels[i]!) });
    train = pick(rows.train);
    test = pick(rows.test);
  } else {
    const other = listImageFolder(o.test);
    const unknown = other.classes.find((c) => !folder.classes.includes(c));
    if (unknown !== undefined) {
      throw new DataFormatError(join(o.test, unknown), null, `a class folder of ${dir} (${folder.classes.join(', ')})`);
    }
    train = folder;
    test = { files: other.files, labels: other.labels.map((k) => folder.classes.indexOf(other.classes[k]!)) };
  }
  const trainData = await decodeImages(train.files, train.labels);
  const testData = await decodeImages(test.files, test.labels);
  try {
    return buildImageScenario(
      name,
      { folder: resolve(dir), numClasses: folder.classes.length, train: trainData.split, test: testData.split },
      { seed, nTrain: options.nTrain, nTest: options.nTest },
      {
        trainSha256: trainData.sha256,
        testSha256: testData.sha256,
        images: folder.files.length,
        classes: folder.classes.join(','),
      },
    );
  } finally {
    dispose([trainData.split.images, trainData.split.labels, testData.split.images, testData.split.labels]);
  }
}

// ---- the kinds -----------------------------------------------------------------------------------

function userEntry(
  name: string,
  argument: string,
  architecture: ScenarioEntry['architecture'],
  metric: ScenarioEntry['metric'],
  load: (name: string, argument: string, options: LoadOptions) => Scenario | Promise<Scenario>,
): ScenarioEntry {
  const what = basename(resolve(argument));
  return {
    name,
    title: `${what} / ${architecture === 'mlp' ? 'MLP' : 'Transformer'}`,
    dataset: what,
    architecture,
    metric,
    sizes: null,
    published: {},
    publishedLowData: {},
    load: async (_source, options) => load(name, argument, options),
  };
}

export const USER_DATA_KINDS: readonly ScenarioKind[] = [
  {
    kind: 'csv',
    argument: 'PATH to a CSV/TSV file with a header row',
    entry: (name, arg) => userEntry(name, arg, 'mlp', 'accuracy', loadCsvScenario),
  },
  {
    kind: 'text',
    argument: 'PATH to a CSV/TSV/JSONL file of texts and labels',
    entry: (name, arg) => userEntry(name, arg, 'transformer', 'accuracy', loadTextScenario),
  },
  {
    kind: 'lm',
    argument: 'DIR holding train.txt and valid.txt',
    entry: (name, arg) => userEntry(name, arg, 'transformer', 'validation_cross_entropy', loadLmScenario),
  },
  {
    kind: 'images',
    argument: 'DIR of class folders of PNG/JPEG images',
    entry: (name, arg) => userEntry(name, arg, 'transformer', 'accuracy', loadImageScenario),
  },
];
