// Bad dataset files as a user would meet them: truncations, corrupt archives, float32 overflow, binary
// content, directories and unusable cache dirs. Every failure is a one-line CfinitError naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CfinitError } from '../../src/errors.ts';
import {
  CacheDirError,
  DataFormatError,
  loadCifar,
  loadCovtype,
  loadQnli,
  loadWikiText2,
  parseCovtype,
} from '../../src/data/index.ts';
import {
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
} from '../data/fixtures.ts';

/** mulberry32: a seeded stream of uniform [0, 1) draws, so every trial is reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fn and returns its error, asserting it is a one-line CfinitError whose message names `names`. */
async function userError(fn: () => unknown, names: string, what: string): Promise<CfinitError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof CfinitError, `${what}: expected a CfinitError, got ${(err as Error).stack}`);
    assert.ok(!err.message.includes('\n'), `${what}: the message is not one line: ${err.message}`);
    assert.ok(err.message.includes(names), `${what}: the message does not name ${names}: ${err.message}`);
    assert.match(err.message, /^[\x20-\x7e…×→≤≥±]*$/, `${what}: the message echoes raw bytes: ${err.message}`);
    return err;
  }
  assert.fail(`${what}: expected an error naming ${names}, but it loaded`);
}

const QNLI_ROWS: [string, string, string][] = [
  ['What is "x"?', 'It is a letter.', 'entailment'],
  ['Why?', 'Because.', 'not_entailment'],
  ['Who?', 'Someone said so.', 'entailment'],
];

const zipWith = (archive: string, files: Record<string, string | Uint8Array>, compress: boolean) =>
  zip(archive, files, { compress });

test('random truncations of every official format fail with a one-line error naming the file', async () => {
  const rand = random(11);
  const root = tempDir('h11-trunc');
  // sources: covtype CSV, covtype gzip, a CIFAR-100 .bin, QNLI tsv, and the three archives
  const csv = `${covtypeHeader()}\n${covtypeRows(6).join('\n')}\n`;
  const cifarSrc = tempDir('h11-cifar-src');
  writeCifar100Folder(cifarSrc, 3, 2);
  const tgz = await tarGz(join(root, 'cifar-100-binary.tar.gz'), cifarSrc, ['cifar-100-binary']);
  const qnliZip = await zipWith(
    join(root, 'QNLIv2.zip'),
    { 'QNLI/train.tsv': qnliTsv(QNLI_ROWS), 'QNLI/dev.tsv': qnliTsv(QNLI_ROWS) },
    true,
  );
  const wikiZip = await zipWith(
    join(root, 'wikitext-2-v1.zip'),
    Object.fromEntries(['train', 'valid', 'test'].map((s) => [`wikitext-2/wiki.${s}.tokens`, ` = A =\n text ${s}\n`])),
    false,
  );

  /** A cut strictly inside a line (not at its start or end): a prefix that cannot be a whole file. */
  const midLineCut = (text: string): number => {
    for (;;) {
      const at = 1 + Math.floor(rand() * (text.length - 2));
      if (text[at - 1] !== '\n' && text[at] !== '\n' && text[at + 1] !== '\n') return at;
    }
  };
  /** A prefix of 1 … length − 1 bytes. */
  const prefix = (bytes: Uint8Array) => bytes.subarray(0, 1 + Math.floor(rand() * (bytes.length - 1)));
  for (let trial = 0; trial < 12; trial++) {
    const dir = join(root, `t${trial}`);
    // covtype as CSV and as gzip
    const csvFile = write(join(dir, 'covtype', 'covtype-sample.csv'), csv.slice(0, midLineCut(csv)));
    await userError(() => loadCovtype(dir), csvFile, `covtype csv trial ${trial}`);
    const gz = gzipSync(csv);
    const gzFile = write(join(dir, 'gz', 'covtype', 'covtype.data.gz'), prefix(gz));
    await userError(() => loadCovtype(join(dir, 'gz')), gzFile, `covtype gzip trial ${trial}`);
    // a CIFAR .bin cut anywhere but a record boundary
    const bin = readFileSync(join(cifarSrc, 'cifar-100-binary', 'train.bin'));
    let cut = 1 + Math.floor(rand() * (bin.length - 1));
    if (cut % 3074 === 0) cut--;
    const cifarDir = join(dir, 'cifar', 'cifar-100-binary');
    writeCifar100Folder(join(dir, 'cifar'), 3, 2);
    write(join(cifarDir, 'train.bin'), bin.subarray(0, cut));
    await userError(
      () => loadCifar(join(dir, 'cifar'), join(dir, 'cache')),
      join(cifarDir, 'train.bin'),
      `cifar bin trial ${trial}`,
    );
    // QNLI tsv
    const tsv = qnliTsv(QNLI_ROWS);
    write(join(dir, 'qnli', 'qnli', 'train.tsv'), tsv.slice(0, midLineCut(tsv)));
    write(join(dir, 'qnli', 'qnli', 'dev.tsv'), tsv);
    await userError(
      () => loadQnli(join(dir, 'qnli'), join(dir, 'cache')),
      join(dir, 'qnli', 'qnli', 'train.tsv'),
      `qnli trial ${trial}`,
    );
    // the archives: tar.gz, deflated zip, stored zip
    for (const [archive, load] of [
      [tgz, (d: string) => loadCifar(d, join(dir, 'cache'))],
      [qnliZip, (d: string) => loadQnli(d, join(dir, 'cache'))],
      [wikiZip, (d: string) => loadWikiText2(d, join(dir, 'cache'))],
    ] as const) {
      const bytes = readFileSync(archive);
      const folder = join(dir, 'archives', basename(archive));
      const copy = write(join(folder, basename(archive)), prefix(bytes));
      await userError(() => load(folder), copy, `${basename(archive)} trial ${trial}`);
    }
  }
});

test('random byte flips in compressed archives are caught by their checksums (never a silently different result)', async (t) => {
  const rand = random(12);
  const root = tempDir('h11-flip');
  const cifarSrc = tempDir('h11-flip-src');
  writeCifar100Folder(cifarSrc, 3, 2);
  const qnliFiles = { 'QNLI/train.tsv': qnliTsv(QNLI_ROWS), 'QNLI/dev.tsv': qnliTsv(QNLI_ROWS.slice(1)) };
  const sources = {
    tgz: await tarGz(join(root, 'src', 'cifar-100-binary.tar.gz'), cifarSrc, ['cifar-100-binary']),
    deflated: await zipWith(join(root, 'src', 'QNLIv2.zip'), qnliFiles, true),
    stored: await zipWith(join(root, 'src2', 'QNLIv2.zip'), qnliFiles, false),
  };
  const reference = {
    tgz: await loadCifar(join(root, 'src'), join(root, 'cache-ref')),
    qnli: await loadQnli(join(root, 'src'), join(root, 'cache-ref')),
  };
  const detected = { tgz: 0, deflated: 0, stored: 0 };
  const trials = 16;
  for (let trial = 0; trial < trials; trial++) {
    for (const kind of ['tgz', 'deflated', 'stored'] as const) {
      const bytes = Buffer.from(readFileSync(sources[kind]));
      const at = Math.floor(rand() * bytes.length);
      bytes[at] ^= 1 << Math.floor(rand() * 8);
      const dir = join(root, `${kind}-${trial}`);
      const archive = write(join(dir, basename(sources[kind])), bytes);
      const cache = join(dir, 'cache');
      try {
        if (kind === 'tgz') {
          const got = await loadCifar(dir, cache);
          const changed = `tgz flip at byte ${at} changed the data`;
          assert.deepEqual(got.train.images.toArray(), reference.tgz.train.images.toArray(), changed);
          assert.deepEqual(got.test.labels.toArray(), reference.tgz.test.labels.toArray(), changed);
        } else {
          const got = await loadQnli(dir, cache);
          assert.deepEqual(
            { train: got.train, dev: got.dev },
            { train: reference.qnli.train, dev: reference.qnli.dev },
            `${kind} zip flip at byte ${at} changed the examples`,
          );
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        assert.ok(err instanceof CfinitError, `${kind} flip at byte ${at}: ${(err as Error).stack}`);
        assert.ok(err.message.includes(archive), `${kind} flip at byte ${at}: ${err.message}`);
        detected[kind]++;
      }
    }
  }
  t.diagnostic(`flips detected of ${trials}: ${JSON.stringify(detected)}; the rest left the loaded data identical`);
  // most flips land in compressed data or entry contents, where only a checksum can notice them
  for (const kind of ['tgz', 'deflated', 'stored'] as const) {
    assert.ok(detected[kind] >= trials / 2, `only ${detected[kind]} of ${trials} ${kind} flips were detected`);
  }
});

test('a flipped byte inside a stored zip entry is a CRC error naming the archive and entry', async () => {
  const root = tempDir('h11-crc');
  const content = qnliTsv(QNLI_ROWS);
  const files = { 'QNLI/train.tsv': content, 'QNLI/dev.tsv': content };
  const archive = await zipWith(join(root, 'QNLIv2.zip'), files, false);
  const bytes = readFileSync(archive);
  const at = bytes.indexOf('Because'); // inside the first stored entry's data
  bytes[at] ^= 0x20; // 'B' → 'b': still valid text, so only the CRC can tell
  writeFileSync(archive, bytes);
  const err = await userError(() => loadQnli(root, join(root, 'cache')), archive, 'stored flip');
  assert.match(err.message, /entry QNLI\/train\.tsv.*CRC-32/);
});

test('a corrupt deflate stream names the archive and the entry', async () => {
  const root = tempDir('h11-deflate');
  const big = qnliTsv(Array.from({ length: 200 }, (_, i) => [`q${i} ${'word '.repeat(i % 7)}`, `s${i}`, 'entailment']));
  const archive = await zipWith(join(root, 'QNLIv2.zip'), { 'QNLI/train.tsv': big, 'QNLI/dev.tsv': big }, true);
  const bytes = readFileSync(archive);
  // overwrite the middle of the first entry's compressed data (it starts after the 30-byte header and name)
  const start = 30 + 'QNLI/train.tsv'.length;
  bytes.fill(0xff, start + 20, start + 60);
  writeFileSync(archive, bytes);
  const err = await userError(() => loadQnli(root, join(root, 'cache')), archive, 'corrupt deflate');
  assert.match(err.message, /entry QNLI\/train\.tsv/);
});

test('covtype values beyond float32 are rejected naming the file, line and column', () => {
  const rows = covtypeRows(3);
  const fields = rows[1].split(',');
  fields[4] = '1e39'; // finite as a double, +Inf as float32
  rows[1] = fields.join(',');
  assert.throws(
    () => parseCovtype(`${rows.join('\n')}\n`, 'cov.csv'),
    (err: Error) =>
      err instanceof DataFormatError &&
      /^cov\.csv \(line 2, column 5\): expected a number within float32 range.*'1e39'$/.test(err.message),
  );
  fields[4] = '-3.5e38';
  rows[1] = fields.join(',');
  assert.throws(() => parseCovtype(`${rows.join('\n')}\n`, 'cov.csv'), /line 2, column 5.*float32/);
  fields[4] = '3.4e38'; // the largest values float32 holds are accepted
  rows[1] = fields.join(',');
  assert.equal(parseCovtype(`${rows.join('\n')}\n`, 'cov.csv').features[54 + 4], Math.fround(3.4e38));
});

test('binary content where text is expected is reported in a few words, without echoing the bytes', async () => {
  const root = tempDir('h11-binary');
  const binary = new Uint8Array(600).map((_, i) => (i * 37 + 11) % 256);
  const noNul = binary.map((b) => b || 1);
  const covDir = join(root, 'cov');
  const covFile = write(join(covDir, 'covtype', 'covtype.data'), noNul);
  assert.match((await userError(() => loadCovtype(covDir), covFile, 'covtype binary')).message, /binary data/);
  const qDir = join(root, 'q');
  const train = write(join(qDir, 'qnli', 'train.tsv'), binary);
  write(join(qDir, 'qnli', 'dev.tsv'), qnliTsv(QNLI_ROWS));
  const qnliError = await userError(() => loadQnli(qDir, join(root, 'cache')), train, 'qnli binary');
  assert.match(qnliError.message, /binary data/);
  const wDir = join(root, 'w');
  for (const s of ['train', 'valid', 'test']) {
    write(join(wDir, 'wikitext-2', `wiki.${s}.tokens`), s === 'valid' ? noNul : 'text\n');
  }
  const valid = join(wDir, 'wikitext-2', 'wiki.valid.tokens');
  await userError(() => loadWikiText2(wDir, join(root, 'cache')), valid, 'wikitext binary');
  const cDir = join(root, 'c');
  writeCifar100Folder(cDir, 2, 2);
  const names = write(join(cDir, 'cifar-100-binary', 'fine_label_names.txt'), binary);
  await userError(() => loadCifar(cDir, join(root, 'cache')), names, 'label names binary');
  // a header row of binary junk is quoted with escapes, not echoed
  const junk = `${String.fromCharCode(...noNul.subarray(0, 80))}\n${covtypeRows(1)[0]}\n`;
  const err = await userError(() => parseCovtype(junk, 'junk.csv'), 'junk.csv', 'covtype junk header');
  assert.ok(err.message.length < 300, err.message);
});

test('a directory where a file is expected, and an unusable CFINIT_CACHE_DIR, name the path', async () => {
  const root = tempDir('h11-paths');
  const dir = join(root, 'covtype', 'covtype.data');
  mkdirSync(dir, { recursive: true });
  assert.match((await userError(() => loadCovtype(root), dir, 'EISDIR')).message, /found a directory/);
  const q = join(root, 'q');
  write(join(q, 'qnli', 'train.tsv'), qnliTsv(QNLI_ROWS));
  mkdirSync(join(q, 'qnli', 'dev.tsv'), { recursive: true });
  await userError(() => loadQnli(q, join(root, 'cache')), join(q, 'qnli', 'dev.tsv'), 'EISDIR tsv');
  // an archive that needs extracting, with the cache dir pointing at a regular file
  const cifarSrc = tempDir('h11-paths-src');
  writeCifar100Folder(cifarSrc, 2, 2);
  const c = join(root, 'c');
  await tarGz(join(c, 'cifar-100-binary.tar.gz'), cifarSrc, ['cifar-100-binary']);
  const notADir = write(join(root, 'cache-file'), 'not a folder');
  const err = await userError(() => loadCifar(c, notADir), notADir, 'cache dir is a file');
  assert.ok(err instanceof CacheDirError && err.message.includes('CFINIT_CACHE_DIR'), err.message);
  copyFileSync(notADir, join(root, 'unused')); // the file was left alone
  assert.equal(readFileSync(notADir, 'utf8'), 'not a folder');
});

test('a truncated CIFAR-10 batch is named itself, not as the concatenation', async () => {
  const root = tempDir('h11-cifar10');
  const folder = join(root, 'cifar-10-batches-bin');
  const records = cifarRecords(2, 'cifar10');
  for (let i = 1; i <= 5; i++) {
    write(join(folder, `data_batch_${i}.bin`), i === 3 ? records.subarray(0, 3000) : records);
  }
  write(join(folder, 'test_batch.bin'), records);
  const third = join(folder, 'data_batch_3.bin');
  await userError(() => loadCifar(root, join(root, 'cache'), 'cifar10'), third, 'cifar10 truncated');
});
