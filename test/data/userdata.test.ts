// A user's own data: csv:, text:, lm: and images: scenarios from tiny files written on the spot; the bad inputs
// (empty file, one class, label column missing, ragged rows, missing values, the one-hot cap, an image that does
// not decode) as one-line errors naming file and row or column, from code and from the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataFormatError, loadScenario, scenarioEntry, type Scenario } from '../../src/data/index.ts';
import { CfinitError, ConfigError } from '../../src/errors.ts';
import { disposeScenario } from '../train/tiny.ts';
import { assertUserError, cfinit } from '../helpers.ts';
import { tempDir, write } from './fixtures.ts';

async function withScenario<T>(name: string, options: Parameters<typeof loadScenario>[1], f: (s: Scenario) => T) {
  const s = await loadScenario(name, options);
  try {
    return f(s);
  } finally {
    disposeScenario(s);
  }
}

async function rejects(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => CfinitError,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof type, `${err.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

/** x is the class id of y ('a' → 0, 'b' → 1) plus a small row offset; colour cycles red, green, blue. */
function classTable(rows: number): string {
  const lines = ['x,colour,y'];
  for (let i = 0; i < rows; i++) lines.push(`${(i % 2) + i / 1000},${['red', 'green', 'blue'][i % 3]},${'ab'[i % 2]}`);
  return `${lines.join('\n')}\n`;
}

const columnMeans = (t: Scenario['train']['raw']) => t.mean(0).toArray();

test('csv: numbers kept, a text column one-hot, classes from the label, z-scored with train statistics', async () => {
  const file = write(join(tempDir('csv'), 'data.csv'), classTable(50));
  await withScenario(`csv:${file}`, { seed: 3, data: { label: 'y' } }, (s) => {
    assert.equal(s.architecture, 'mlp');
    assert.equal(s.numClasses, 2);
    assert.deepEqual(s.inputShape, [4]); // x, colour=blue, colour=green, colour=red
    assert.equal(s.train.raw.size(0), 40);
    assert.equal(s.test.raw.size(0), 10); // the default test fraction 0.2
    for (const m of columnMeans(s.train.raw)) assert.ok(Math.abs(m) < 1e-5, `train column mean ${m}`);
    // x is the class id (plus < 0.05): its z-score is positive exactly for class 'b' (id 1)
    const z = s.train.raw.select(1, 0).toArray();
    const labels = s.train.labels.toArray();
    z.forEach((v, i) => assert.equal(v > 0 ? 1 : 0, labels[i], `train row ${i}`));
    const oneHot = s.train.raw.narrow(1, 1, 3).gt(0).sum(1).toArray(); // exactly one colour column above its mean
    oneHot.forEach((n, i) => assert.equal(n, 1, `row ${i}: ${n} colour columns set`));
    assert.equal(s.details.classes, 'a,b');
    assert.match(String(s.details.sha256), /^[0-9a-f]{64}$/);
  });
});

test('csv: the split is drawn by the seed; --test reads a second file by column name; sizes are checked', async () => {
  const dir = tempDir('csv-split');
  const file = write(join(dir, 'data.csv'), classTable(50));
  const testOf = (seed: number) =>
    withScenario(`csv:${file}`, { seed, data: { label: 'y' } }, (s) => s.test.raw.toArray());
  assert.deepEqual(await testOf(4), await testOf(4));
  assert.notDeepEqual(await testOf(4), await testOf(5));
  // the same rows with the columns in another order: the test rows are the train rows, encoded alike
  const lines = classTable(50).trim().split('\n');
  const swapped = lines.map((l) => l.split(',').reverse().join(',')).join('\n');
  const other = write(join(dir, 'test.csv'), `${swapped}\n`);
  await withScenario(`csv:${file}`, { seed: 1, data: { label: 'y', test: other } }, (s) => {
    assert.equal(s.train.raw.size(0), 50);
    assert.equal(s.test.raw.size(0), 50);
    const sorted = (t: Scenario['train']['raw']) => t.sum(1).sort(0).values.toArray();
    assert.deepEqual(sorted(s.test.raw), sorted(s.train.raw));
  });
  // a column constant in the train rows keeps σ = 1: the test's other value is 2 away, not 2·10⁶
  const constant = write(join(dir, 'constant.csv'), 'c,x,y\n5,0,a\n5,1,b\n5,0,a\n5,1,b\n');
  const shifted = write(join(dir, 'shifted.csv'), 'c,x,y\n7,0,a\n');
  await withScenario(`csv:${constant}`, { data: { label: 'y', test: shifted } }, (s) => {
    assert.deepEqual(s.test.raw.toArray(), [2, -1]);
  });
  await withScenario(`csv:${file}`, { seed: 1, nTrain: 12, nTest: 5, data: { label: 'y' } }, (s) => {
    assert.equal(s.train.raw.size(0), 12);
    assert.equal(s.test.raw.size(0), 5);
  });
  await rejects(
    loadScenario(`csv:${file}`, { nTrain: 100, data: { label: 'y' } }),
    ConfigError,
    /cannot draw 100 train rows .*only 40/,
  );
});

test('csv: a missing value is an error naming line and column, or the train mean with fill: mean', async () => {
  const dir = tempDir('csv-missing');
  const rows = classTable(30).split('\n');
  rows[3] = rows[3]!.replace(/^[^,]*/, ''); // line 4: x empty
  rows[6] = rows[6]!.replace(/,(red|green|blue),/, ',NA,'); // line 7: colour NA
  const file = write(join(dir, 'data.csv'), rows.join('\n'));
  await rejects(
    loadScenario(`csv:${file}`, { data: { label: 'y' } }),
    DataFormatError,
    new RegExp(`${file} \\(line 4, column 'x'\\): expected a value \\(--fill mean .*\\), found ''`),
  );
  await withScenario(`csv:${file}`, { seed: 0, data: { label: 'y', fill: 'mean', testFraction: 0.5 } }, (s) => {
    const all = [...s.train.raw.toArray().flat(), ...s.test.raw.toArray().flat()] as number[];
    assert.ok(all.every(Number.isFinite), 'every value finite after the fill');
    // a value filled with the train mean z-scores to 0 (float32 rounding aside): one x and three colour entries;
    // every other entry is about ±1 (x) or −0.7 / 1.4 (a colour column)
    const zeros = all.filter((v) => Math.abs(v) < 1e-5).length;
    assert.equal(zeros, 4);
  });
});

test('csv: bad files are DataFormatErrors naming file and line or column', async () => {
  const dir = tempDir('csv-bad');
  const load = (content: string, data: object = {}, name = 'data.csv') =>
    loadScenario(`csv:${write(join(dir, name), content)}`, { data: { label: 'y', ...data } });
  const at = (name: string) => join(dir, name).replace(/[.]/g, '\\.');
  await rejects(load(''), DataFormatError, new RegExp(`${at('data.csv')}: expected a CSV table .*found an empty file`));
  await rejects(load('x,y\n'), DataFormatError, /expected at least one data row after the header, found none/);
  await rejects(
    load('x,y\n1,a\n2,a\n'),
    DataFormatError,
    /\(column 'y'\): expected labels of at least two classes, found only 'a'/,
  );
  await rejects(
    load('x,z\n1,a\n2,b\n'),
    DataFormatError,
    /\(line 1\): expected a label column 'y', found only 'x', 'z'/,
  );
  await rejects(
    load('x,w,y\n1,2,a\n3,b\n'),
    DataFormatError,
    /\(line 3\): expected 3 comma-separated fields as in the header, found 2/,
  );
  await rejects(load('x,y\n1,a\n"2,b\n'), DataFormatError, /\(line 3\): expected a CSV table .*Quote Not Closed/);
  await rejects(
    load(classTable(9), { maxCategories: 2 }),
    DataFormatError,
    /\(column 'colour'\): expected at most 2 distinct values in a text column .*found 3, the first text 'red' on line 2/,
  );
  await rejects(
    load('x,y\n1,a\n2,b\n3e39,a\n'),
    DataFormatError,
    /\(line 4, column 'x'\): expected a number within float32 range/,
  );
  await rejects(load('x,y\n1,a\n2,\n3,b\n'), DataFormatError, /\(line 3, column 'y'\): expected a label, found ''/);
  await rejects(
    load(classTable(10), { test: 'a.csv', testFraction: 0.3 }),
    ConfigError,
    /--test .* or --test-fraction/,
  );
  await rejects(load(classTable(10), { lable: 'y' }), ConfigError, /csv: unknown data option 'lable'/);
  const train = write(join(dir, 'train.csv'), classTable(10));
  const testFile = write(join(dir, 'test.csv'), 'x,colour,y\n1,red,a\n2,red,c\n');
  await rejects(
    loadScenario(`csv:${train}`, { data: { label: 'y', test: testFile } }),
    DataFormatError,
    new RegExp(
      `${at('test.csv')} \\(line 3, column 'y'\\): expected a label of the training data \\(a, b\\), found 'c'`,
    ),
  );
  await rejects(
    load(classTable(10), { textColumns: ['x'] }),
    ConfigError,
    /--text-col \(textColumns\) does not apply to csv/,
  );
  await rejects(
    loadScenario('covtype_mlp', { data: { label: 'y' } }),
    ConfigError,
    /--label \(label\) applies to a user's data .*not covtype_mlp/,
  );
  assert.throws(() => scenarioEntry('csv:'), /needs PATH to a CSV\/TSV file with a header row after 'csv:'/);
});

test('text: CSV, TSV and JSON Lines; several text columns; vocabulary, classes and length from the data', async () => {
  const dir = tempDir('text');
  const rows = Array.from({ length: 40 }, (_, i) => ({
    text: `${i % 2 ? 'good fine' : 'bad poor'} movie number ${i}`,
    label: i % 2 ? 'pos' : 'neg',
  }));
  const jsonl = write(join(dir, 'reviews.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await withScenario(`text:${jsonl}`, { seed: 2 }, (s) => {
    assert.equal(s.architecture, 'transformer');
    assert.equal(s.task, 'classification');
    assert.equal(s.numClasses, 2);
    assert.deepEqual(s.inputShape, [5, 64]); // the longest text has 5 tokens
    assert.equal(s.details.vocabulary, 2 + 6 + s.train.raw.size(0)); // PAD, UNK, good fine bad poor movie number, i
    assert.equal(s.train.raw.size(0) + s.test.raw.size(0), 40);
    assert.equal(s.view.kind, 'token-dropout');
  });
  const tsv = write(
    join(dir, 'pairs.tsv'),
    'q\tsentence\tlabel\n' + rows.map((r, i) => `question "${i}\t${r.text}\t${r.label}`).join('\n') + '\n',
  );
  await withScenario(`text:${tsv}`, { data: { textColumns: ['q', 'sentence'] } }, (s) => {
    assert.deepEqual(s.inputShape, [7, 64]);
  });
  await rejects(
    loadScenario(`text:${tsv}`, {}),
    DataFormatError,
    /pairs\.tsv \(line 1\): expected a text column 'text', found only 'q', 'sentence', 'label'/,
  );
  const broken = write(join(dir, 'broken.jsonl'), '{"text": "a", "label": 1}\n{"text": "b"}\n');
  await rejects(
    loadScenario(`text:${broken}`, {}),
    DataFormatError,
    /broken\.jsonl \(line 2\): .*found no key 'label'/,
  );
});

test('lm: train.txt and valid.txt in the WikiText-2 pipeline, vocabulary from the data', async () => {
  const dir = tempDir('lm');
  const text = (n: number) => Array.from({ length: n }, (_, i) => `the cat ${i % 5} sat on the mat .`).join('\n');
  write(join(dir, 'train.txt'), text(60));
  write(join(dir, 'valid.txt'), text(20));
  await withScenario(`lm:${dir}`, { seed: 1 }, (s) => {
    assert.equal(s.task, 'next_token');
    assert.equal(s.metric, 'validation_cross_entropy');
    assert.equal(s.numClasses, 2 + 11); // PAD, UNK, the cat sat on mat . 0..4
    assert.deepEqual(s.inputShape, [64, 64]);
    assert.ok(s.train.raw.size(0) > 100);
  });
  const noValid = tempDir('lm-missing');
  write(join(noValid, 'train.txt'), text(60));
  await rejects(
    loadScenario(`lm:${noValid}`, {}),
    DataFormatError,
    /valid\.txt: expected a readable file, found nothing/,
  );
});

/** An ImageFolder: red and blue classes of PNG and JPEG images of several sizes, one grey and one with alpha. */
async function imageFolder(root: string, perClass: number): Promise<string> {
  for (const [name, colour] of [
    ['blue', { r: 20, g: 30, b: 220 }],
    ['red', { r: 230, g: 20, b: 30 }],
  ] as const) {
    for (let i = 0; i < perClass; i++) {
      const size = 16 + 8 * i;
      const image = sharp({ create: { width: size, height: size + 4, channels: i === 1 ? 4 : 3, background: colour } });
      const file = join(root, name, `${i}.${i % 2 ? 'png' : 'jpg'}`);
      write(file, await (i % 2 ? image.png() : image.jpeg()).toBuffer());
    }
  }
  const grey = sharp(Buffer.alloc(64, 90), { raw: { width: 8, height: 8, channels: 1 } });
  write(join(root, 'red', 'grey.png'), await grey.png().toBuffer());
  return root;
}

test('images: an ImageFolder decoded to 32×32 RGB in the CIFAR pipeline; a file that does not decode is named', async () => {
  const dir = await imageFolder(tempDir('images'), 4);
  await withScenario(`images:${dir}`, { seed: 1, data: { testFraction: 0.25 } }, (s) => {
    assert.equal(s.numClasses, 2);
    assert.deepEqual(s.train.raw.shape.slice(1), [3, 32, 32]);
    assert.equal(s.train.raw.size(0) + s.test.raw.size(0), 9);
    assert.deepEqual(s.inputShape, [16, 192]);
    assert.equal(s.view.kind, 'random-affine');
    // blue (class 0) images: blue plane well above red; red (class 1) images the reverse, the grey one even
    const means = s.train.raw.mean([2, 3]).tolist() as number[][];
    const labels = s.train.labels.toArray();
    means.forEach(([r, , b], i) => {
      if (Math.abs(r! - b!) < 1e-6) return; // the grey image
      assert.equal(r! > b! ? 1 : 0, labels[i], `image ${i}: r ${r} b ${b}`);
    });
  });
  write(join(dir, 'red', 'broken.png'), 'this is not an image');
  await rejects(
    loadScenario(`images:${dir}`, {}),
    DataFormatError,
    /red\/broken\.png: expected a PNG, JPEG or WebP image/,
  );
  const one = tempDir('images-one');
  write(
    join(one, 'only', 'a.png'),
    await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } })
      .png()
      .toBuffer(),
  );
  await rejects(loadScenario(`images:${one}`, {}), DataFormatError, /expected at least two class folders .*found 1/);
});

test('cfinit train --data: bad input is one line naming file and row or column, exit 1', async () => {
  const dir = tempDir('cli-data');
  const ragged = write(join(dir, 'ragged.csv'), 'x,w,y\n1,2,a\n3,b\n');
  const train = (...args: string[]) => cfinit(['train', '--model', 'cf-ridge', '--out', join(dir, 'run'), ...args]);
  assertUserError(
    train('--data', `csv:${ragged}`, '--label', 'y'),
    /ragged\.csv \(line 3\): expected 3 comma-separated fields as in the header, found 2/,
  );
  assertUserError(
    train('--data', `csv:${ragged}`, '--label', 'y', '--fill', 'median'),
    /--fill must be one of none, mean/,
  );
  assertUserError(train('--data', `csv:${ragged}`, '--scenario', 'covtype_mlp'), /pass --scenario or --data, not both/);
  const images = await imageFolder(join(dir, 'images'), 2);
  write(join(images, 'blue', 'cut.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
  assertUserError(train('--data', `images:${images}`), /blue\/cut\.jpg: expected a PNG, JPEG or WebP image/);
});
