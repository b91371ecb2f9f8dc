// Loaders read each official format and reject malformed files with the file and record named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  DataFormatError,
  DatasetNotFoundError,
  loadCifar,
  loadCovtype,
  loadQnli,
  loadWikiText2,
  parseCifarRecords,
  parseCovtype,
  parseQnliTsv,
} from '../../src/data/index.ts';
import {
  cifarPixel,
  cifarRecords,
  covtypeHeader,
  covtypeRows,
  gzipSync,
  qnliTsv,
  tarGz,
  tempDir,
  write,
  writeCifar100Folder,
  zip,
} from './fixtures.ts';

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DataFormatError, `expected DataFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('covtype: UCI rows, gzip and header CSV give the same table; labels 1..7 become 0..6', () => {
  const dir = tempDir('covtype');
  const rows = covtypeRows(9);
  write(join(dir, 'a', 'covtype', 'covtype-sample.csv'), [covtypeHeader(), ...rows].join('\n') + '\n');
  const csv = loadCovtype(join(dir, 'a'));
  write(join(dir, 'b', 'covtype.data.gz'), gzipSync(Buffer.from(rows.join('\r\n') + '\r\n')));
  const gz = loadCovtype(join(dir, 'b'));
  for (const t of [csv, gz]) {
    assert.equal(t.rows, 9);
    assert.deepEqual(Array.from(t.labels), [0, 1, 2, 3, 4, 5, 6, 0, 1]);
    assert.equal(t.features[2 * 54 + 5], 205);
    assert.equal(t.features.length, 9 * 54);
  }
});

test('covtype: wrong column count, bad label, bad value, bad header and empty file are named', () => {
  const rows = covtypeRows(3);
  rejects(
    () => parseCovtype([rows[0], rows[1].split(',').slice(1).join(','), rows[2]].join('\n'), 'f.data'),
    /^f\.data \(line 2\): expected 55 comma-separated columns, found 54$/,
  );
  rejects(
    () => parseCovtype([covtypeHeader(), rows[0], rows[1].replace(/,2$/, ',8')].join('\n'), 'h.csv'),
    /h\.csv \(line 3, column 55\): expected a Cover_Type label in 1\.\.7, found '8'/,
  );
  rejects(() => parseCovtype(rows[0].replace(/^0,/, 'x,') + '\n', 'v.data'), /header/);
  rejects(
    () => parseCovtype([rows[0], rows[1].replace(/^100,/, ',')].join('\n'), 'v.data'),
    /v\.data \(line 2, column 1\): expected a number, found ''/,
  );
  rejects(() => parseCovtype('Elevation,Aspect\n1,2\n', 'h.csv'), /line 1.*header of 54 feature names then Cover_Type/);
  rejects(
    () => parseCovtype('', 'empty.csv'),
    /empty\.csv: expected rows of 55 comma-separated integers, found an empty file/,
  );
});

test('covtype: a missing dataset names where it looked and the official URL', () => {
  assert.throws(
    () => loadCovtype(tempDir('nothing')),
    (err: unknown) =>
      err instanceof DatasetNotFoundError && /covtype\.data/.test(err.message) && /figshare|uci/.test(err.message),
  );
});

test('cifar-100 binary: labels, plane order and the tar.gz archive (extracted once into the cache)', async () => {
  const dir = tempDir('cifar');
  const extracted = join(dir, 'src');
  writeCifar100Folder(extracted, 5, 3);
  await tarGz(join(dir, 'data', 'cifar-100', 'cifar-100-binary.tar.gz'), extracted, ['cifar-100-binary']);
  const cache = join(dir, 'cache');
  const first = await loadCifar(join(dir, 'data'), cache);
  const again = await loadCifar(join(dir, 'data'), cache);
  assert.equal(again.folder, first.folder);
  assert.ok(first.folder.startsWith(cache));
  assert.deepEqual(first.train.images.shape, [5, 3, 32, 32]);
  assert.equal(first.train.images.dtype, 'uint8');
  assert.deepEqual(first.train.labels.toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(first.test.images.shape, [3, 3, 32, 32]);
  assert.equal(first.labelNames?.[7], 'class7');
  // pixel (image 4, channel G, row 5, col 9)
  assert.equal(first.train.images.select(0, 4).select(0, 1).select(0, 5).select(0, 9).item(), cifarPixel(4, 1, 5, 9));
  const folder = await loadCifar(extracted, join(dir, 'unused-cache'));
  assert.deepEqual(folder.train.images.toArray(), first.train.images.toArray());
});

test('cifar-10 layout (one label byte) goes through the same parser with a flag', () => {
  const split = parseCifarRecords(
    cifarRecords(4, 'cifar10', (i) => 9 - i),
    'b.bin',
    'cifar10',
  );
  assert.deepEqual(split.labels.toArray(), [9, 8, 7, 6]);
  assert.equal(split.images.select(0, 2).select(0, 2).select(0, 31).select(0, 0).item(), cifarPixel(2, 2, 31, 0));
});

test('cifar: truncated record, bad fine label, bad coarse label and empty file are named', () => {
  const good = cifarRecords(3, 'cifar100');
  rejects(
    () => parseCifarRecords(good.subarray(0, 2 * 3074 + 100), 'train.bin', 'cifar100'),
    /train\.bin \(record 3\): expected a whole number of 3074-byte records .*truncated to 100 bytes/,
  );
  const badFine = good.slice();
  badFine[3074 + 1] = 100;
  rejects(
    () => parseCifarRecords(badFine, 'train.bin', 'cifar100'),
    /record 2\): expected a fine label byte in 0\.\.99, found 100/,
  );
  const badCoarse = good.slice();
  badCoarse[2 * 3074] = 20;
  rejects(
    () => parseCifarRecords(badCoarse, 'train.bin', 'cifar100'),
    /record 3\): expected a coarse label byte in 0\.\.19/,
  );
  rejects(
    () =>
      parseCifarRecords(
        cifarRecords(2, 'cifar10', () => 10),
        'd.bin',
        'cifar10',
      ),
    /label byte in 0\.\.9, found 10/,
  );
  rejects(
    () => parseCifarRecords(new Uint8Array(0), 'empty.bin', 'cifar100'),
    /empty\.bin: expected records of 3074 bytes, found an empty file/,
  );
});

test('cifar: a corrupt archive is a format error naming the archive', async () => {
  const dir = tempDir('cifar-bad');
  write(join(dir, 'cifar-100-binary.tar.gz'), new Uint8Array([1, 2, 3, 4, 5]));
  await assert.rejects(
    loadCifar(dir, join(dir, 'cache')),
    (err: unknown) => err instanceof DataFormatError && err.file.endsWith('cifar-100-binary.tar.gz'),
  );
});

test('qnli: tsv with literal quotes, labels mapped entailment=0, not_entailment=1; zip accepted', async () => {
  const rows: [string, string, string][] = [
    ['What is "x"?', 'A "quoted, sentence".', 'entailment'],
    ["Who's there?", 'Nobody.', 'not_entailment'],
  ];
  const parsed = parseQnliTsv(qnliTsv(rows), 'train.tsv');
  assert.deepEqual(parsed, [
    { question: 'What is "x"?', sentence: 'A "quoted, sentence".', label: 0 },
    { question: "Who's there?", sentence: 'Nobody.', label: 1 },
  ]);
  const dir = tempDir('qnli');
  await zip(join(dir, 'QNLIv2.zip'), { 'QNLI/train.tsv': qnliTsv(rows), 'QNLI/dev.tsv': qnliTsv(rows.slice(1)) });
  const data = await loadQnli(dir, join(dir, 'cache'));
  assert.deepEqual(data.train, parsed);
  assert.equal(data.dev.length, 1);
});

test('qnli: wrong column count, bad label, bad header and empty file are named', () => {
  rejects(
    () => parseQnliTsv('index\tquestion\tsentence\tlabel\n0\tq\tentailment\n', 'dev.tsv'),
    /dev\.tsv \(line 2\): expected 4 tab-separated columns, found 3/,
  );
  rejects(
    () =>
      parseQnliTsv(
        qnliTsv([
          ['q', 's', 'entailment'],
          ['q', 's', 'neutral'],
        ]),
        'dev.tsv',
      ),
    /dev\.tsv \(line 3\): expected a label in \{entailment, not_entailment\}, found 'neutral'/,
  );
  rejects(() => parseQnliTsv('idx\tq\ts\tl\n', 'train.tsv'), /line 1\): expected the header/);
  rejects(() => parseQnliTsv('', 'train.tsv'), /train\.tsv: expected a header row .* found an empty file/);
});

test('wikitext-2: tokens folder, raw variant in a zip, and an empty split is named', async () => {
  const dir = tempDir('wiki');
  for (const s of ['train', 'valid', 'test'])
    write(join(dir, 'a', 'wikitext-2', `wiki.${s}.tokens`), ` = ${s} = \n words <unk> here . \n`);
  const tokens = await loadWikiText2(join(dir, 'a'), join(dir, 'cache'));
  assert.equal(tokens.variant, 'tokens');
  assert.match(tokens.valid, /= valid =/);
  await zip(join(dir, 'b', 'wikitext-2-raw-v1.zip'), {
    'wikitext-2-raw/wiki.train.raw': 'raw train\n',
    'wikitext-2-raw/wiki.valid.raw': 'raw valid\n',
    'wikitext-2-raw/wiki.test.raw': 'raw test\n',
  });
  const raw = await loadWikiText2(join(dir, 'b'), join(dir, 'cache'));
  assert.equal(raw.variant, 'raw');
  assert.equal(raw.test, 'raw test\n');
  writeFileSync(join(dir, 'a', 'wikitext-2', 'wiki.test.tokens'), '');
  await assert.rejects(
    loadWikiText2(join(dir, 'a'), join(dir, 'cache')),
    /wiki\.test\.tokens: expected WikiText lines of text, found an empty file/,
  );
});
