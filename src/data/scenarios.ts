// The four benchmark scenarios, built from loaded datasets. Sizes default to the reference benchmark's
// and are all configurable; every random draw is seeded from options.seed.
import { arange, dispose, fromTypedArray, Generator, tidy, type Tensor } from '../torch/index.ts';
import { loadCifar, type CifarData } from './cifar.ts';
import { COVTYPE_CLASSES, COVTYPE_FEATURES, loadCovtype, type CovtypeTable } from './covtype.ts';
import { patchify } from './patches.ts';
import { sincos1d, sincos2d } from './positional.ts';
import { loadQnli, QNLI_LABELS, type QnliData, type QnliExample } from './qnli.ts';
import { sampleIndices } from './sampling.ts';
import type { Scenario } from './scenario.ts';
import { embedTokens, fixedTokenEmbedding } from './text-embedding.ts';
import { tokenize, tokenizeMarkingUnknown, Vocabulary } from './tokenizer.ts';
import { DEFAULT_AFFINE, randomAffine, tabularView, tokenDropout, type AffineRanges } from './views.ts';
import { loadWikiText2, type WikiTextData } from './wikitext.ts';
import { finiteNumber, positiveInt, seedValue } from '../checks.ts';
import { ConfigError } from '../errors.ts';
import { SCENARIO_SHAPES } from '../reference.ts';

const QNLI_SHAPE = SCENARIO_SHAPES.qnli_transformer;
const WIKITEXT_SHAPE = SCENARIO_SHAPES.wikitext2_next_token_transformer;

/** A probability of dropping or masking: finite, in [0, 1). */
const probability = (value: number, name: string): number =>
  finiteNumber(value, name, { min: 0, max: 1, exclusiveMax: true });

// ---- covtype_mlp ----------------------------------------------------------------------------------

export interface CovtypeOptions {
  seed?: number;
  nTrain?: number;
  nTest?: number;
  maskProb?: number;
  noiseStd?: number;
}

/** float32 machine epsilon: a σ below 10·ε·max(1, |μ|) is rounding noise of a constant column. */
const FLOAT32_EPS = 2 ** -23;

/**
 * z = (x − μ) / s with μ, σ (population std) from the train rows and s = σ, or 1 for a column constant in the
 * train rows (σ ≤ 10·ε·max(1, |μ|), as sklearn's StandardScaler): a test row off that constant stays x − μ
 * instead of (x − μ)·1e6.
 */
export function zScoreWithTrainStats(train: Tensor, test: Tensor): { train: Tensor; test: Tensor } {
  return tidy(() => {
    const mean = train.mean(0, true); // (1, F)
    const std = train.std(0, { unbiased: false, keepdim: true }); // (1, F)
    const constant = std.le(
      mean
        .abs()
        .clampMin(1)
        .mul(10 * FLOAT32_EPS),
    );
    const scale = std.maskedFill(constant, 1);
    return { train: train.sub(mean).div(scale), test: test.sub(mean).div(scale) };
  });
}

export function buildCovtypeScenario(table: CovtypeTable, options: CovtypeOptions = {}): Scenario {
  const { nTrain: defaultTrain, nTest: defaultTest } = SCENARIO_SHAPES.covtype_mlp;
  const { seed = 0, nTrain = defaultTrain, nTest = defaultTest, maskProb = 0.15, noiseStd = 0.1 } = options;
  positiveInt(nTrain, 'covtype_mlp: nTrain');
  positiveInt(nTest, 'covtype_mlp: nTest');
  seedValue(seed, 'covtype_mlp: seed');
  probability(maskProb, 'covtype_mlp: maskProb');
  finiteNumber(noiseStd, 'covtype_mlp: noiseStd', { min: 0 });
  const split = tidy(() => {
    const features = fromTypedArray(table.features, [table.rows, COVTYPE_FEATURES]);
    const labels = fromTypedArray(table.labels).long();
    // One draw of nTrain + nTest distinct rows: the first nTrain train, the rest test.
    const order = sampleIndices(table.rows, nTrain + nTest, new Generator(seed), `covtype rows from ${table.file}`);
    const trainIdx = order.slice(0, 0, nTrain);
    const testIdx = order.slice(0, nTrain);
    const z = zScoreWithTrainStats(features.indexSelect(0, trainIdx), features.indexSelect(0, testIdx));
    return {
      train: { raw: z.train, labels: labels.indexSelect(0, trainIdx) },
      test: { raw: z.test, labels: labels.indexSelect(0, testIdx) },
    };
  });
  return {
    name: 'covtype_mlp',
    architecture: 'mlp',
    modality: 'tabular',
    task: 'classification',
    pooling: 'none',
    metric: 'accuracy',
    numClasses: COVTYPE_CLASSES,
    seed,
    ...split,
    inputShape: [COVTYPE_FEATURES],
    view: { kind: 'mask-and-noise', maskProb, noiseStd },
    augmentTrainingBatches: false,
    encode: (raw) => raw,
    augment: (raw, generator) => tabularView(raw, generator, maskProb, noiseStd),
    state: {},
    details: { source: table.file, rows: table.rows },
  };
}

// ---- cifar100_transformer -------------------------------------------------------------------------

export interface CifarOptions {
  seed?: number;
  nTrain?: number;
  nTest?: number;
  patch?: number;
  affine?: AffineRanges;
}

export function buildCifarScenario(data: CifarData, options: CifarOptions = {}): Scenario {
  const shape = SCENARIO_SHAPES.cifar100_transformer;
  const { nTrain = shape.nTrain, nTest = shape.nTest } = options;
  return buildImageScenario('cifar100_transformer', data, { ...options, nTrain, nTest }, { variant: data.variant });
}

/**
 * The CIFAR pipeline on any uint8 (N, 3, H, W) images: nTrain and nTest rows drawn from data.train and
 * data.test (default: all), pixels/255, the train mean image subtracted, patches plus a 2-D sin-cos table.
 */
export function buildImageScenario(
  name: string,
  data: Pick<CifarData, 'folder' | 'numClasses' | 'train' | 'test'>,
  options: CifarOptions,
  details: Record<string, string | number> = {},
): Scenario {
  const shape = SCENARIO_SHAPES.cifar100_transformer;
  const {
    seed = 0,
    nTrain = data.train.images.shape[0],
    nTest = data.test.images.shape[0],
    patch = shape.patch,
    affine = DEFAULT_AFFINE,
  } = options;
  positiveInt(nTrain, `${name}: nTrain`);
  positiveInt(nTest, `${name}: nTest`);
  seedValue(seed, `${name}: seed`);
  positiveInt(patch, `${name}: patch`);
  const [, channels, height, width] = data.train.images.shape;
  if (height % patch !== 0 || width % patch !== 0) {
    throw new ConfigError(`${name}: patch must divide the ${height}×${width} image, got ${patch}`);
  }
  const grid = height / patch;
  const tokenDim = channels * patch * patch;
  const built = tidy(() => {
    // One generator for both draws, train first, as the reference does.
    const generator = new Generator(seed);
    const trainIdx = sampleIndices(data.train.images.shape[0], nTrain, generator, `train images in ${data.folder}`);
    const testIdx = sampleIndices(data.test.images.shape[0], nTest, generator, `test images in ${data.folder}`);
    const trainRaw = data.train.images.indexSelect(0, trainIdx).float().div(255);
    return {
      train: { raw: trainRaw, labels: data.train.labels.indexSelect(0, trainIdx) },
      test: {
        raw: data.test.images.indexSelect(0, testIdx).float().div(255),
        labels: data.test.labels.indexSelect(0, testIdx),
      },
      meanImage: trainRaw.mean(0, true),
      positions: sincos2d(grid, tokenDim),
    };
  });
  const { meanImage, positions } = built;
  return {
    name,
    architecture: 'transformer',
    modality: 'image',
    task: 'classification',
    pooling: 'mean',
    metric: 'accuracy',
    numClasses: data.numClasses,
    seed,
    train: built.train,
    test: built.test,
    inputShape: [grid * grid, tokenDim],
    view: { kind: 'random-affine', ranges: affine },
    augmentTrainingBatches: true,
    encode: (raw) => tidy(() => patchify(raw.sub(meanImage), patch).add(positions.unsqueeze(0))),
    augment: (raw, generator) => randomAffine(raw, generator, affine),
    state: { meanImage, positions },
    details: { source: data.folder, ...details },
  };
}

// ---- text scenarios -------------------------------------------------------------------------------

export interface TextOptions {
  seed?: number;
  nTrain?: number;
  nTest?: number;
  vocabSize?: number;
  embedDim?: number;
  dropProb?: number;
  /** Seed of the fixed random embedding table. */
  embeddingSeed?: number;
}

export function checkTextOptions(scenario: string, o: Required<Omit<TextOptions, 'nTrain' | 'nTest'>>): void {
  seedValue(o.seed, `${scenario}: seed`);
  positiveInt(o.vocabSize, `${scenario}: vocabSize`);
  positiveInt(o.embedDim, `${scenario}: embedDim`);
  probability(o.dropProb, `${scenario}: dropProb`);
  seedValue(o.embeddingSeed, `${scenario}: embeddingSeed`);
}

export function textScenarioParts(
  vocab: Vocabulary,
  embedDim: number,
  length: number,
  embeddingSeed: number,
  dropProb: number,
) {
  const embedding = fixedTokenEmbedding(vocab.size, embedDim, embeddingSeed);
  const positions = sincos1d(length, embedDim);
  return {
    state: { embedding, positions },
    inputShape: [length, embedDim],
    view: { kind: 'token-dropout', dropProb } as const,
    augmentTrainingBatches: true,
    encode: (raw: Tensor) => embedTokens(raw, embedding, positions),
    augment: (raw: Tensor, generator: Generator) => tokenDropout(raw, generator, dropProb),
  };
}

export interface QnliOptions extends TextOptions {
  seqLen?: number;
}

export function buildQnliScenario(data: QnliData, options: QnliOptions = {}): Scenario {
  const { nTest = QNLI_SHAPE.nTest } = options;
  // The reference draws 10,000 train rows; a smaller local copy (9,999 rows) is used whole.
  const nTrain = options.nTrain ?? Math.min(QNLI_SHAPE.nTrain, data.train.length);
  const text = (e: QnliExample) => `${e.question} ${e.sentence}`;
  const examples = (split: QnliExample[]) => ({ texts: split.map(text), labels: split.map((e) => e.label) });
  return buildTextClassificationScenario(
    'qnli_transformer',
    { folder: data.folder, train: examples(data.train), test: examples(data.dev), classes: QNLI_LABELS.length },
    { ...options, nTrain, nTest },
    { trainRowsAvailable: data.train.length, devRowsAvailable: data.dev.length },
  );
}

/** Texts and their class ids (0..classes−1). */
export interface LabelledTexts {
  texts: readonly string[];
  labels: readonly number[];
}

/**
 * The QNLI pipeline on any labelled texts: a vocabulary of the train texts' most frequent words, ids truncated or
 * padded to seqLen, a fixed random embedding plus a 1-D sin-cos table, mean pooling; nTrain and nTest rows
 * drawn from train and test (default: all).
 */
export function buildTextClassificationScenario(
  name: string,
  data: { folder: string; train: LabelledTexts; test: LabelledTexts; classes: number },
  options: QnliOptions,
  details: Record<string, string | number> = {},
): Scenario {
  const {
    seed = 0,
    nTrain = data.train.texts.length,
    nTest = data.test.texts.length,
    vocabSize = QNLI_SHAPE.vocabSize,
    seqLen = QNLI_SHAPE.tokens,
    embedDim = QNLI_SHAPE.dim,
    dropProb = 0.12,
    embeddingSeed = 0,
  } = options;
  positiveInt(nTrain, `${name}: nTrain`);
  positiveInt(nTest, `${name}: nTest`);
  positiveInt(seqLen, `${name}: seqLen`);
  checkTextOptions(name, { seed, vocabSize, embedDim, dropProb, embeddingSeed });
  const trainTokens = data.train.texts.map((t) => tokenize(t));
  const vocab = Vocabulary.build(trainTokens, vocabSize);
  const split = tidy(() => {
    const trainIds = vocab.encodeFixedLength(trainTokens, seqLen);
    const devIds = vocab.encodeFixedLength(
      data.test.texts.map((t) => tokenize(t)),
      seqLen,
    );
    const trainLabels = fromTypedArray(Int32Array.from(data.train.labels)).long();
    const devLabels = fromTypedArray(Int32Array.from(data.test.labels)).long();
    const trainIdx = sampleIndices(
      data.train.texts.length,
      nTrain,
      new Generator(seed),
      `train rows in ${data.folder}`,
    );
    const testIdx = sampleIndices(
      data.test.texts.length,
      nTest,
      new Generator(seed + 1),
      `test rows in ${data.folder}`,
    );
    return {
      train: { raw: trainIds.indexSelect(0, trainIdx), labels: trainLabels.indexSelect(0, trainIdx) },
      test: { raw: devIds.indexSelect(0, testIdx), labels: devLabels.indexSelect(0, testIdx) },
    };
  });
  return {
    name,
    architecture: 'transformer',
    modality: 'text',
    task: 'classification',
    pooling: 'mean',
    metric: 'accuracy',
    numClasses: data.classes,
    seed,
    ...split,
    ...textScenarioParts(vocab, embedDim, seqLen, embeddingSeed, dropProb),
    details: { source: data.folder, vocabulary: vocab.size, ...details },
  };
}

export interface WikiTextOptions extends TextOptions {
  context?: number;
  stride?: number;
  /**
   * Text that stands for a word the corpus replaced as rare: each occurrence is one UNK token and takes no
   * vocabulary slot (null: none). WikiText-2 defaults to '<unk>' (see buildWikiTextScenario), other text to null.
   */
  unknownMarker?: string | null;
}

/**
 * Windows over one id stream: starts 0, stride, 2·stride, … below len − context − 1; each window is
 * `context` ids and its label the id that follows.
 */
export function windowStarts(streamLength: number, context: number, stride: number): number {
  const limit = Math.max(0, streamLength - context - 1);
  return Math.ceil(limit / stride);
}

function sampleWindows(
  stream: Int32Array,
  context: number,
  stride: number,
  count: number,
  generator: Generator,
  what: string,
) {
  return tidy(() => {
    const available = windowStarts(stream.length, context, stride);
    const chosen = sampleIndices(available, count, generator, `${what} windows`);
    const ids = fromTypedArray(stream).long();
    const offsets = arange(0, context + 1);
    const windows = ids.index([chosen.mul(stride).unsqueeze(1).add(offsets.unsqueeze(0))]);
    return {
      raw: windows.slice(1, 0, context).contiguous(),
      labels: windows.select(1, context).contiguous(),
      available,
    };
  });
}

/**
 * The reference reads the HF dataset wikitext-2-raw-v1: the same text as the v1 .tokens files except that the
 * words v1 replaced by '<unk>' (train count < 3, or unseen in train) are still there, and being far below the
 * 4,094th most frequent word, become UNK. So '<unk>' is read as UNK (unknownMarker), not as a word 'unk': that
 * word would take a vocabulary slot and a class of its own beside UNK (5.7% of the validation tokens against 2.8%
 * of train's, so a model trained on train under-predicts it: +0.12 nats of validation cross-entropy for a unigram
 * or bigram model). The raw files have no '<unk>', so the marker changes nothing there.
 */
export function buildWikiTextScenario(data: WikiTextData, options: WikiTextOptions = {}): Scenario {
  const { nTrain = WIKITEXT_SHAPE.nTrain, nTest = WIKITEXT_SHAPE.nTest, unknownMarker = '<unk>' } = options;
  return buildNextTokenScenario(
    'wikitext2_next_token_transformer',
    data,
    { ...options, nTrain, nTest, unknownMarker },
    {
      variant: data.variant,
    },
  );
}

/**
 * The WikiText-2 pipeline on any train/valid text: a vocabulary of the train stream's most frequent words,
 * `context`-token windows every `stride` tokens, each labelled with the next token; nTrain / nTest windows
 * (default: every window, up to the reference's 16,000 / 4,000).
 */
export function buildNextTokenScenario(
  name: string,
  data: Pick<WikiTextData, 'folder' | 'train' | 'valid'>,
  options: WikiTextOptions,
  details: Record<string, string | number> = {},
): Scenario {
  const {
    seed = 0,
    vocabSize = WIKITEXT_SHAPE.vocabSize,
    context = WIKITEXT_SHAPE.tokens,
    stride = 3,
    embedDim = WIKITEXT_SHAPE.dim,
    dropProb = 0.1,
    embeddingSeed = 0,
    unknownMarker = null,
  } = options;
  if (options.nTrain !== undefined) positiveInt(options.nTrain, `${name}: nTrain`);
  if (options.nTest !== undefined) positiveInt(options.nTest, `${name}: nTest`);
  positiveInt(context, `${name}: context`);
  positiveInt(stride, `${name}: stride`);
  checkTextOptions(name, { seed, vocabSize, embedDim, dropProb, embeddingSeed });
  if (unknownMarker === '') throw new ConfigError(`${name}: unknownMarker must not be empty`);
  const words = (text: string) =>
    unknownMarker === null ? tokenize(text) : tokenizeMarkingUnknown(text, unknownMarker);
  const trainTokens = words(data.train);
  const vocab = Vocabulary.build([trainTokens], vocabSize);
  const trainStream = vocab.encode(trainTokens);
  const validStream = vocab.encode(words(data.valid));
  const windows = (stream: Int32Array, cap: number, what: string): number => {
    const n = Math.min(cap, windowStarts(stream.length, context, stride));
    if (n < 1)
      throw new ConfigError(`${name}: the ${what} text has ${stream.length} tokens, fewer than ${context + 2}`);
    return n;
  };
  const nTrain = options.nTrain ?? windows(trainStream, WIKITEXT_SHAPE.nTrain, 'train');
  const nTest = options.nTest ?? windows(validStream, WIKITEXT_SHAPE.nTest, 'validation');
  const train = sampleWindows(trainStream, context, stride, nTrain, new Generator(seed), `${name} train`);
  const test = sampleWindows(validStream, context, stride, nTest, new Generator(seed + 1), `${name} valid`);
  return {
    name,
    architecture: 'transformer',
    modality: 'text',
    task: 'next_token',
    pooling: 'last',
    metric: 'validation_cross_entropy',
    numClasses: vocab.size,
    seed,
    train: { raw: train.raw, labels: train.labels },
    test: { raw: test.raw, labels: test.labels },
    ...textScenarioParts(vocab, embedDim, context, embeddingSeed, dropProb),
    details: {
      source: data.folder,
      ...details,
      vocabulary: vocab.size,
      ...(unknownMarker === null ? {} : { unknownMarker }),
      trainTokens: trainStream.length,
      validTokens: validStream.length,
      trainWindowsAvailable: train.available,
      validWindowsAvailable: test.available,
    },
  };
}
