// The four scenarios built from tiny fixtures: shapes, preprocessing, seeded draws, views and batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/torch/index.ts';
import {
  buildCifarScenario,
  buildCovtypeScenario,
  buildQnliScenario,
  buildWikiTextScenario,
  lowDataSubset,
  oodVariants,
  parseCifarRecords,
  parseCovtype,
  parseQnliTsv,
  patchify,
  PAD,
  sincos1d,
  sincos2d,
  tensorChecksum,
  testPairedViews,
  tokenize,
  tokenizeMarkingUnknown,
  trainingBatch,
  trainPairedViews,
  UNK,
  windowStarts,
  type Scenario,
} from '../../src/data/index.ts';
import { assertClose } from '../helpers.ts';
import { cifarRecords, covtypeHeader, qnliTsv } from './fixtures.ts';

function fingerprint(s: Scenario): string {
  return tensorChecksum([s.train.raw, s.train.labels, s.test.raw, s.test.labels]);
}

// 60 rows; feature 0 carries the row number so rows can be traced, feature 53 is constant.
function covtypeText(): string {
  const rows = Array.from({ length: 60 }, (_, i) =>
    [...Array.from({ length: 54 }, (_, j) => (j === 0 ? i : j === 53 ? 5 : (i * (j + 3)) % 101)), 1 + (i % 7)].join(
      ',',
    ),
  );
  return [covtypeHeader(), ...rows].join('\n');
}

test('covtype_mlp: disjoint seeded train/test rows, z-scored with train stats (std floored), plain training batches', () => {
  const table = parseCovtype(covtypeText(), 'fixture.csv');
  const s = buildCovtypeScenario(table, { seed: 3, nTrain: 40, nTest: 12 });
  assert.deepEqual([s.train.raw.shape, s.test.raw.shape, s.inputShape, s.numClasses], [[40, 54], [12, 54], [54], 7]);
  assertClose(s.train.raw.mean(0), new Array(54).fill(0), { atol: 1e-5, what: 'train mean' });
  const std = s.train.raw.std(0, { unbiased: false }).toArray();
  assertClose(std.slice(0, 53), new Array(53).fill(1), { atol: 1e-4, what: 'train std' });
  assert.equal(std[53], 0, 'a constant column stays 0 (std floored, no NaN)');
  // Recover row numbers from feature 0 (a monotone map of the row number) to check train ∩ test = ∅.
  const key = (t: typeof s.train.raw) =>
    t
      .select(1, 0)
      .toArray()
      .map((v) => v.toFixed(4));
  const trainRows = new Set(key(s.train.raw));
  assert.equal(trainRows.size, 40);
  assert.ok(key(s.test.raw).every((k) => !trainRows.has(k)));
  assert.equal(fingerprint(buildCovtypeScenario(table, { seed: 3, nTrain: 40, nTest: 12 })), fingerprint(s));
  assert.notEqual(fingerprint(buildCovtypeScenario(table, { seed: 4, nTrain: 40, nTest: 12 })), fingerprint(s));
  const batch = trainingBatch(s, s.train.labels.slice(0, 0, 5).mul(0).add(2), new Generator(1));
  assert.deepEqual(batch.inputs.toArray(), s.train.raw.select(0, 2).unsqueeze(0).expand(5, 54).toArray());
  assert.throws(() => buildCovtypeScenario(table, { nTrain: 50, nTest: 20 }), /cannot draw 70 covtype rows/);
});

test('paired views use seeds seed+101 / seed+102 (train) and +202 / +203 (test) and are reproducible', () => {
  const s = buildCovtypeScenario(parseCovtype(covtypeText(), 'fixture.csv'), { seed: 5, nTrain: 40, nTest: 12 });
  const views = trainPairedViews(s);
  assert.deepEqual(views.view1.toArray(), s.augment(s.train.raw, new Generator(106)).toArray());
  assert.deepEqual(views.view2.toArray(), s.augment(s.train.raw, new Generator(107)).toArray());
  assert.deepEqual(testPairedViews(s).view2.toArray(), s.augment(s.test.raw, new Generator(208)).toArray());
  const ood = oodVariants(s);
  assert.deepEqual(Object.keys(ood), ['feature-mask', 'gaussian-noise']);
  const maskRate = ood['feature-mask'].eq(0).float().mean().item() - s.test.raw.eq(0).float().mean().item();
  assert.ok(maskRate > 0.15 && maskRate < 0.45, `feature-mask rate ${maskRate}`);
});

test('cifar100_transformer: pixels/255 minus the train mean image, 8×8 patches + 2-D position table', () => {
  const train = parseCifarRecords(
    cifarRecords(10, 'cifar100', (i) => 10 * i),
    'train.bin',
    'cifar100',
  );
  const test = parseCifarRecords(cifarRecords(4, 'cifar100'), 'test.bin', 'cifar100');
  const data = { variant: 'cifar100' as const, folder: 'fixture', numClasses: 100, labelNames: null, train, test };
  const s = buildCifarScenario(data, { seed: 1, nTrain: 6, nTest: 3 });
  assert.deepEqual(
    [s.train.raw.shape, s.test.raw.shape, s.inputShape],
    [
      [6, 3, 32, 32],
      [3, 3, 32, 32],
      [16, 192],
    ],
  );
  assert.ok(s.train.raw.max().item() <= 1 && s.train.raw.min().item() >= 0);
  // Labels follow their images: image i has every pixel offset by i, and fine label 10·i.
  const firstPixel = s.train.raw.select(1, 0).select(1, 0).select(1, 0).mul(255).round().toArray();
  assert.deepEqual(
    s.train.labels.toArray(),
    firstPixel.map((i) => 10 * i),
  );
  const encoded = s.encode(s.train.raw);
  assert.deepEqual(encoded.shape, [6, 16, 192]);
  const expected = patchify(s.train.raw.sub(s.train.raw.mean(0, true)), 8).add(sincos2d(4, 192).unsqueeze(0));
  assertClose(encoded, expected, { atol: 1e-5, what: 'encoded tokens' });
  const batch = trainingBatch(s, s.train.labels.mul(0).slice(0, 0, 4), new Generator(2));
  assert.deepEqual(batch.inputs.shape, [4, 16, 192]);
  assert.notDeepEqual(
    batch.inputs.select(0, 0).toArray(),
    batch.inputs.select(0, 1).toArray(),
    'each image gets its own affine draw',
  );
  const ood = oodVariants(s);
  assert.deepEqual(Object.keys(ood), ['gaussian-noise', 'center-mask']);
  assert.equal(fingerprint(buildCifarScenario(data, { seed: 1, nTrain: 6, nTest: 3 })), fingerprint(s));
});

test('qnli_transformer: question + sentence, vocabulary from train, length-T ids, fixed unit-norm embedding + 1-D positions', () => {
  const rows: [string, string, string][] = Array.from({ length: 12 }, (_, i) => [
    `Who wrote book ${i}?`,
    `Book ${i} was written by author${i % 3}.`,
    i % 2 ? 'not_entailment' : 'entailment',
  ]);
  const data = {
    folder: 'fixture',
    train: parseQnliTsv(qnliTsv(rows), 'train.tsv'),
    dev: parseQnliTsv(qnliTsv(rows.slice(0, 8)), 'dev.tsv'),
  };
  const s = buildQnliScenario(data, { seed: 2, nTest: 5, seqLen: 6, vocabSize: 10, embedDim: 8 });
  assert.deepEqual([s.train.raw.shape, s.test.raw.shape, s.inputShape, s.numClasses], [[12, 6], [5, 6], [6, 8], 2]);
  assert.equal(s.details.vocabulary, 10);
  const table = s.state.embedding;
  assert.deepEqual(table.shape, [10, 8]);
  assertClose(table.norm(2, 1), [0, ...new Array(9).fill(1)], { atol: 1e-6, what: 'row norms (PAD row zero)' });
  const padded = s.train.raw.clone();
  padded.narrow(1, 3, 3).fill_(PAD);
  const enc = s.encode(padded);
  assertClose(enc.select(1, 4), sincos1d(6, 8).select(0, 4).unsqueeze(0).expand(12, 8), {
    what: 'PAD position = position row',
  });
  // Every example has ≥ 6 tokens ("who wrote book N ? book") so no PAD in the fixed-length ids.
  assert.equal(s.train.raw.eq(PAD).sum().item(), 0);
  assert.deepEqual(Object.keys(oodVariants(s)), ['heavy-mask', 'truncate-half']);
  assert.equal(
    fingerprint(buildQnliScenario(data, { seed: 2, nTest: 5, seqLen: 6, vocabSize: 10, embedDim: 8 })),
    fingerprint(s),
  );
});

test('wikitext2 next-token: windows every `stride` tokens with start < len − context − 1, label = the next id', () => {
  const words = Array.from({ length: 40 }, (_, i) => `w${i % 13}`).join(' ');
  const data = {
    folder: 'fixture',
    variant: 'tokens' as const,
    train: words,
    valid: words.split(' ').slice(0, 25).join(' '),
    test: 'x',
  };
  assert.equal(windowStarts(40, 4, 3), 12); // starts 0, 3, …, 33 (< 35)
  assert.equal(windowStarts(25, 4, 3), 7); // starts 0 … 18 (< 20)
  const s = buildWikiTextScenario(data, {
    seed: 1,
    nTrain: 12,
    nTest: 7,
    context: 4,
    stride: 3,
    vocabSize: 16,
    embedDim: 8,
  });
  assert.deepEqual(
    [s.train.raw.shape, s.test.raw.shape, s.inputShape, s.pooling, s.metric],
    [[12, 4], [7, 4], [4, 8], 'last', 'validation_cross_entropy'],
  );
  // The stream cycles through 13 words, so "the id after id a" is one fixed successor map: every window and
  // its label must agree with it, which only holds when windows are consecutive ids and labels the next id.
  const successor = new Map<number, number>();
  const follow = (a: number, b: number) => {
    assert.equal(successor.get(a) ?? b, b, `id ${a} followed by both ${successor.get(a)} and ${b}`);
    successor.set(a, b);
  };
  const rows = s.train.raw.tolist() as number[][];
  const labels = s.train.labels.toArray();
  const starts = new Set<string>();
  rows.forEach((r, i) => {
    starts.add(r.join(','));
    assert.ok(!r.includes(PAD));
    for (let k = 0; k + 1 < r.length; k++) follow(r[k], r[k + 1]);
    follow(r[r.length - 1], labels[i]);
  });
  assert.equal(successor.size, 13);
  assert.equal(starts.size, 12, 'all 12 windows drawn exactly once');
  assert.throws(
    () => buildWikiTextScenario(data, { nTrain: 13, nTest: 1, context: 4, stride: 3, vocabSize: 16 }),
    /cannot draw 13/,
  );
});

test("wikitext2 next-token: '<unk>' is UNK (as in the reference's raw-v1 text), not a word 'unk' of its own", () => {
  // The marker reads as one token wherever it stands; a literal word 'unk' stays a word.
  assert.deepEqual(tokenizeMarkingUnknown('<unk> a<unk>b unk , <unk>', '<unk>'), [
    '<unk>',
    'a',
    '<unk>',
    'b',
    'unk',
    ',',
    '<unk>',
  ]);
  assert.equal(tokenizeMarkingUnknown('x <unk> y', '<unk>').length, tokenize('x <unk> y').length);
  const sentence = 'the <unk> sat on the mat . a <unk> ran to the <unk> . ';
  const data = {
    folder: 'fixture',
    variant: 'tokens' as const,
    train: sentence.repeat(6),
    valid: sentence.repeat(3),
    test: 'x',
  };
  const options = { seed: 0, nTrain: 10, nTest: 5, context: 4, stride: 2, vocabSize: 32, embedDim: 8 };
  const s = buildWikiTextScenario(data, options);
  // PAD, UNK, the . sat on mat a ran to: '<unk>' (the most frequent word after 'the') takes no slot
  assert.equal(s.numClasses, 2 + 8);
  assert.equal(s.details.unknownMarker, '<unk>');
  const ids = [...s.train.raw.toInt32Array(), ...s.train.labels.toInt32Array()];
  assert.ok(ids.includes(UNK), 'the marker is encoded as UNK');
  // null: the old reading, where the marker is the word 'unk' with a class of its own and no id is UNK
  const plain = buildWikiTextScenario(data, { ...options, unknownMarker: null });
  assert.equal(plain.numClasses, 2 + 9);
  assert.ok(![...plain.train.raw.toInt32Array(), ...plain.train.labels.toInt32Array()].includes(UNK));
  // Same stream length either way: the windows (and so the draws) are the same positions.
  assert.equal(s.details.trainTokens, plain.details.trainTokens);
  assert.equal(s.details.validTokens, plain.details.validTokens);
  assert.throws(
    () => buildWikiTextScenario(data, { ...options, unknownMarker: '' }),
    /unknownMarker must not be empty/,
  );
});

test('low-data subset keeps the test set and the encoding, and slices train rows with the fraction seed', () => {
  const s = buildCovtypeScenario(parseCovtype(covtypeText(), 'fixture.csv'), { seed: 0, nTrain: 40, nTest: 12 });
  const small = lowDataSubset(s, 0.25);
  assert.equal(small.train.raw.shape[0], 10);
  assert.equal(small.test.raw, s.test.raw);
  assert.deepEqual(lowDataSubset(s, 0.25).train.raw.toArray(), small.train.raw.toArray());
  assert.equal(small.details.lowDataSeed, 0 + 250 + 7000);
});
