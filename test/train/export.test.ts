// `cfinit export`: every model class trained on a tiny fixture, written as `cfinit train` writes it, exported, loaded
// in PyTorch by python/cfinit_torch.py and run on a batch: the logits must equal cfinit's to 1e-5 (float32). Also
// the shared encoder layout and the export's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeRunFiles } from '../../src/cli/commands/train.ts';
import { loadCsvScenario, type Scenario } from '../../src/data/index.ts';
import { CfinitError } from '../../src/errors.ts';
import { REFERENCE } from '../../src/reference.ts';

type ModelName = string;
import { Generator, deserialize, dispose, noGrad, serialize, tidy, type Tensor } from '../../src/torch/index.ts';
import {
  BackpropMlp,
  ClosedFormMlp,
  ClosedFormTransformer,
  FeatureHead,
  TORCH_EXPORT_FORMAT,
  backpropTransformer,
  disposeFit,
  encodeFeatures,
  encoderTensors,
  exportRun,
  fitClosedForm,
  initClosedFormMlp,
  initClosedFormTransformer,
  readoutInputs,
  readoutLogits,
  runModel,
  type ClosedFormFit,
  type DepthModel,
  type RunRecord,
} from '../../src/train/index.ts';
import { tempDir, userCsv, write } from '../data/fixtures.ts';
import { assertUserError, cfinit } from '../helpers.ts';
import { disposeScenario, tinyTabular, tinyTokens } from './tiny.ts';

const PYTHON = process.env.CFINIT_PEER_PYTHON ?? '/usr/bin/python3';
const BATCH_ROWS = 8;
const SEED = 5;
const ALPHA = 0.3;

/** Why PyTorch cannot be used here, or null when `import torch` works. */
function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  return r.error ? `${PYTHON}: ${r.error.message}` : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
}

interface Case {
  name: string;
  scenario: () => Scenario;
  model: ModelName;
  className: string;
}

/** A user's CSV (csv: kind): 400 rows, 3 one-hot colours beside a and b, label y. */
const csvScenario = (): Scenario => {
  const file = write(join(tempDir('export-csv'), 'data.csv'), userCsv(400));
  return loadCsvScenario(`csv:${file}`, file, { seed: SEED, data: { label: 'y' } });
};

const CASES: Case[] = [
  { name: 'backprop MLP', scenario: () => tinyTabular(), model: 'backprop', className: 'BackpropMlp' },
  { name: 'backprop MLP on a csv: file', scenario: csvScenario, model: 'backprop', className: 'BackpropMlp' },
  { name: 'cf-ridge on a csv: file', scenario: csvScenario, model: 'cf-ridge', className: 'ClosedFormRidge' },
  { name: 'baseline transformer', scenario: () => tinyTokens(), model: 'backprop', className: 'BaselineTransformer' },
  {
    name: 'baseline transformer, last-token pooling',
    scenario: () => tinyTokens({ task: 'next_token', classes: 5 }),
    model: 'backprop',
    className: 'BaselineTransformer',
  },
  { name: 'closed-form MLP', scenario: () => tinyTabular(), model: 'cf-finetune', className: 'ClosedFormMlp' },
  {
    name: 'closed-form transformer',
    scenario: () => tinyTokens(),
    model: 'cf-finetune',
    className: 'ClosedFormTransformer',
  },
  {
    name: 'closed-form transformer, last-token pooling',
    scenario: () => tinyTokens({ task: 'next_token', classes: 5 }),
    model: 'cf-finetune',
    className: 'ClosedFormTransformer',
  },
  { name: 'CE head on the CF MLP', scenario: () => tinyTabular(), model: 'cf-ce-head', className: 'ClosedFormCeHead' },
  {
    name: 'CE head on the CF transformer',
    scenario: () => tinyTokens(),
    model: 'cf-ce-head',
    className: 'ClosedFormCeHead',
  },
  { name: 'cf-ridge on the CF MLP', scenario: () => tinyTabular(), model: 'cf-ridge', className: 'ClosedFormRidge' },
  {
    name: 'cf-ridge on the CF transformer, next-token (fitted temperature)',
    scenario: () => tinyTokens({ task: 'next_token', classes: 5 }),
    model: 'cf-ridge',
    className: 'ClosedFormRidge',
  },
];

/** Trains a case and writes its run folder as `cfinit train` does; returns cfinit's depth logits on a batch. */
function trainCase(c: Case, dir: string): { runDir: string; batchFile: string; depth: number[][][]; scalars: object } {
  const s = c.scenario();
  const fit: ClosedFormFit | undefined =
    c.model === 'backprop' ? undefined : fitClosedForm(s, { seed: SEED, ...REFERENCE.closedForm[s.architecture] });
  // The tiny views fit α ≈ 0.99, which would leave the attention contexts almost out of the logits: α = 0.3
  // makes them count (the encoder, its features and the fine-tune start all read it from the state).
  if (fit?.kind === 'transformer') for (const layer of fit.state.layers) layer.attention.alpha = ALPHA;
  try {
    let weights: Buffer | null = null;
    let scalars: Record<string, number> = {};
    const record = runModel(s, c.model, {
      seed: SEED,
      steps: c.model === 'cf-ridge' ? undefined : 6,
      fit,
      onWeights: (tensors, extra) => {
        scalars = extra;
        const metadata: Record<string, string> = { scenario: s.name, model: c.model, seed: String(SEED) };
        for (const [k, v] of Object.entries(extra)) metadata[k] = String(v);
        weights = tidy(() => serialize(tensors, metadata));
      },
    });
    const runDir = join(dir, 'run');
    writeRunFiles(runDir, { 'weights.safetensors': weights!, 'metrics.json': `${JSON.stringify(record, null, 2)}\n` });
    const batchFile = join(dir, 'batch.safetensors');
    const depth = noGrad(() =>
      tidy(() => {
        const x = s.encode(s.test.raw.narrow(0, 0, BATCH_ROWS)).contiguous();
        writeFileSync(batchFile, serialize({ x }));
        return cfinitLogits(c, s, record, deserialize(weights!).tensors, scalars, fit, x).map(
          (l) => l.float().tolist() as number[][],
        );
      }),
    );
    return { runDir, batchFile, depth, scalars };
  } finally {
    if (fit) disposeFit(fit);
    disposeScenario(s);
  }
}

/** cfinit's own depth logits from the saved weights, through the modules and functions runModel evaluates with. */
function cfinitLogits(
  c: Case,
  s: Scenario,
  record: RunRecord,
  weights: Record<string, Tensor>,
  scalars: Record<string, number>,
  fit: ClosedFormFit | undefined,
  x: Tensor,
): Tensor[] {
  const dim = s.inputShape[s.inputShape.length - 1]!;
  const classes = s.numClasses;
  const pooling = s.pooling === 'last' ? 'last' : 'mean';
  const loaded = (net: DepthModel & { loadStateDict(w: Record<string, Tensor>): void }, w = weights): Tensor[] => {
    net.loadStateDict(w);
    return net.forward(x);
  };
  if (c.model === 'backprop') {
    return s.architecture === 'mlp'
      ? loaded(new BackpropMlp(dim, classes, { generator: new Generator(0) }))
      : loaded(backpropTransformer(dim, classes, pooling, new Generator(0)));
  }
  if (c.model === 'cf-finetune') {
    const { depth, heads, landmarks } = REFERENCE.closedForm.transformer;
    return s.architecture === 'mlp'
      ? loaded(new ClosedFormMlp(dim, classes, REFERENCE.closedForm.mlp.depth, 0))
      : loaded(new ClosedFormTransformer({ dim, classes, depth, heads, landmarks, pooling }, 0));
  }
  const features = encodeFeatures(fit!, x, s.pooling);
  if (c.model === 'cf-ce-head') {
    const head = new FeatureHead(features.size(1), classes, 0);
    head.loadStateDict({ 'head.weight': weights['head.weight']!, 'head.bias': weights['head.bias']! });
    return head.forward(features);
  }
  const readouts = Object.keys(weights)
    .filter((k) => /^readouts\.\d+$/.test(k))
    .sort()
    .map((k) => weights[k]!);
  assert.equal(record.config.temperature, scalars.temperature ?? 1);
  return [readoutLogits({ weights: readouts, temperature: scalars.temperature ?? 1 }, readoutInputs(fit!, features))];
}

test('every model class loads in PyTorch from its export with the logits of cfinit (float32, 1e-5)', async (t) => {
  const missing = torchMissing();
  if (missing) {
    t.skip(`python3-torch not installed: ${missing} (bash scripts/setup.sh --with-peer)`);
    return;
  }
  const cases = CASES.map((c) => {
    const dir = tempDir('export');
    const trained = trainCase(c, dir);
    const exportFile = join(dir, 'model.safetensors');
    const summary = exportRun(trained.runDir, exportFile);
    assert.equal(summary.className, c.className);
    return { ...c, ...trained, exportFile };
  });
  const jobsFile = join(tempDir('export-jobs'), 'jobs.json');
  writeFileSync(jobsFile, JSON.stringify(cases.map((c) => ({ export: c.exportFile, batch: c.batchFile }))));
  const py = spawnSync(PYTHON, [join(import.meta.dirname, 'torch_logits.py'), jobsFile], { encoding: 'utf8' });
  assert.equal(py.status, 0, `${PYTHON} torch_logits.py failed:\n${py.stderr}`);
  const results = JSON.parse(py.stdout) as { className: string; depth: number[][][] }[];
  for (const [i, c] of cases.entries()) {
    await t.test(c.name, (t) => {
      const got = results[i]!;
      assert.equal(got.className, c.className);
      assert.equal(got.depth.length, c.depth.length, 'number of depth logits');
      let maxDiff = 0;
      let maxLogit = 0;
      c.depth.forEach((logits, d) =>
        logits.forEach((row, r) => {
          assert.equal(got.depth[d]![r]!.length, row.length, `depth ${d} row ${r}: classes`);
          row.forEach((v, j) => {
            maxDiff = Math.max(maxDiff, Math.abs(Math.fround(got.depth[d]![r]![j]!) - Math.fround(v)));
            maxLogit = Math.max(maxLogit, Math.abs(v));
          });
        }),
      );
      assert.equal(got.depth[0]!.length, BATCH_ROWS);
      assert.ok(maxLogit > 1e-2, `logits near zero (max |logit| ${maxLogit}): the comparison would say nothing`);
      t.diagnostic(
        `${c.className}: max |logits_torch − logits_cfinit| = ${maxDiff.toExponential(2)} ` +
          `(max |logit| ${maxLogit.toFixed(2)}, ${c.depth.length} depth(s) × ${BATCH_ROWS} rows)`,
      );
      assert.ok(maxDiff <= 1e-5, `${c.name}: max logit difference ${maxDiff}`);
    });
  }
});

test('the frozen encoder is saved in the fine-tuned model layout: same names, shapes and values under encoder.', () => {
  for (const s of [tinyTabular(), tinyTokens()]) {
    const fit = fitClosedForm(s, { seed: SEED, ...REFERENCE.closedForm[s.architecture] });
    tidy(() => {
      const dim = s.inputShape[s.inputShape.length - 1]!;
      const { depth, heads, landmarks } = REFERENCE.closedForm.transformer;
      const model =
        fit.kind === 'mlp'
          ? initClosedFormMlp(new ClosedFormMlp(dim, 3, fit.state.layers.length, 0), fit.state)
          : initClosedFormTransformer(
              new ClosedFormTransformer({ dim, classes: 2, depth, heads, landmarks, pooling: 'mean' }, 0),
              fit.state,
            );
      const state = model.stateDict();
      const encoder = Object.fromEntries(
        Object.entries(state).filter(([name]) => !/^(output_)?heads\./.test(name)),
      ) as Record<string, Tensor>;
      const saved = encoderTensors(fit);
      assert.deepEqual(
        Object.keys(saved).sort(),
        Object.keys(encoder)
          .map((n) => `encoder.${n}`)
          .sort(),
      );
      for (const [name, t] of Object.entries(encoder)) {
        const e = saved[`encoder.${name}`]!;
        assert.deepEqual(e.shape, t.shape, name);
        assert.equal(e.dtype, 'float64', `${name} keeps the fit's float64`);
        assert.ok(e.float().eq(t).all().item(), `${name}: values differ from the fine-tuned model's`);
      }
      dispose(Object.values(state));
    });
    disposeFit(fit);
    disposeScenario(s);
  }
});

/** A trained tiny cf-ridge run folder (the fastest run to make). */
function ridgeRun(): string {
  const s = tinyTabular();
  let weights: Buffer | null = null;
  const record = runModel(s, 'cf-ridge', {
    seed: SEED,
    fitOptions: { seed: SEED, ...REFERENCE.closedForm[s.architecture] },
    onWeights: (tensors, extra) => {
      const metadata = {
        scenario: s.name,
        model: 'cf-ridge',
        seed: String(SEED),
        temperature: String(extra.temperature),
      };
      weights = tidy(() => serialize(tensors, metadata));
    },
  });
  disposeScenario(s);
  const dir = join(tempDir('export-errors'), 'run');
  writeRunFiles(dir, { 'weights.safetensors': weights!, 'metrics.json': `${JSON.stringify(record, null, 2)}\n` });
  return dir;
}

/** exportRun's error, asserted to be a user error (one line, CfinitError) matching culprit. */
function assertExportError(run: string, out: string, culprit: RegExp): void {
  assert.throws(
    () => exportRun(run, out),
    (err: Error) => err instanceof CfinitError && culprit.test(err.message) && !err.message.includes('\n'),
  );
}

test('cfinit export: writes the export; a missing or corrupt run folder or a foreign output is a one-line error', () => {
  const run = ridgeRun();
  const work = tempDir('export-cli');
  const out = join(work, 'out', 'model.safetensors');
  const ok = cfinit(['export', run, '--torch', out]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /ClosedFormRidge, \d+ tensors/);
  const { metadata, tensors } = deserialize(readFileSync(out), out);
  assert.equal(metadata.format, TORCH_EXPORT_FORMAT);
  assert.equal(JSON.parse(metadata.config!).encoder.kind, 'mlp');
  assert.deepEqual(tensors['readouts.0.weight']!.shape, [3, 6]); // W_0ᵀ (C, d)
  dispose(Object.values(tensors));
  // re-exporting over its own export is allowed and leaves no staging file behind
  assert.equal(cfinit(['export', run, '--torch', out]).status, 0);

  const missing = join(work, 'nowhere');
  assertUserError(cfinit(['export', missing, '--torch', out]), new RegExp(`${missing}: cannot open the run folder`));
  assertUserError(cfinit(['export', run]), /required option '--torch <file>' not specified/);
  const foreign = join(work, 'notes.txt');
  writeFileSync(foreign, 'mine\n');
  assertUserError(
    cfinit(['export', run, '--torch', foreign]),
    /notes\.txt: exists and is not a cfinit export; refusing to overwrite it/,
  );
  assert.equal(readFileSync(foreign, 'utf8'), 'mine\n');

  // the rest through the function the command calls
  const link = join(work, 'link.safetensors');
  symlinkSync(out, link);
  assertExportError(run, link, /link\.safetensors: is a symbolic link/);
  const broken = (name: string, files: Record<string, string | Uint8Array>): string => {
    const dir = join(work, name);
    const original = {
      'weights.safetensors': readFileSync(join(run, 'weights.safetensors')),
      'metrics.json': readFileSync(join(run, 'metrics.json'), 'utf8'),
    };
    writeRunFiles(dir, { ...original, ...files });
    return dir;
  };
  const record = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8')) as RunRecord;
  const weights = readFileSync(join(run, 'weights.safetensors'));
  const noWeights = join(work, 'no-weights');
  writeRunFiles(noWeights, { 'metrics.json': JSON.stringify(record) });
  assertExportError(noWeights, out, /no-weights\/weights\.safetensors: missing; expected the weights cfinit train/);
  assertExportError(
    broken('not-json', { 'metrics.json': '{"model": ' }),
    out,
    /metrics\.json: expected the JSON run record/,
  );
  assertExportError(
    broken('no-classes', { 'metrics.json': JSON.stringify({ ...record, config: { ...record.config, classes: 0 } }) }),
    out,
    /metrics\.json: field 'config\.classes' must be >= 1/,
  );
  assertExportError(
    broken('truncated', { 'weights.safetensors': weights.subarray(0, weights.length - 8) }),
    out,
    /truncated\/weights\.safetensors: not a valid safetensors file/,
  );
  assertExportError(
    broken('other-model', { 'metrics.json': JSON.stringify({ ...record, model: 'cf-ce-head' }) }),
    out,
    /metadata model is "cf-ridge" but .*metrics\.json records "cf-ce-head"; the two files are not from one run/,
  );
  const reshaped = tidy(() => {
    const { tensors, metadata } = deserialize(weights);
    const out = serialize({ ...tensors, 'readouts.1': tensors['readouts.1']!.narrow(1, 0, 2) }, metadata);
    dispose(Object.values(tensors));
    return out;
  });
  assertExportError(
    broken('reshaped', { 'weights.safetensors': reshaped }),
    out,
    /tensor 'readouts\.1' has shape \[6,2\], expected \[6,3\] for a cf-ridge run/,
  );
  const legacy = tidy(() => {
    const { tensors, metadata } = deserialize(weights);
    const renamed = Object.fromEntries(
      Object.entries(tensors).map(([k, v]) => [
        k.replace(/^encoder\.hidden\.(\d+)\.weight$/, 'encoder.layers.$1.transform'),
        v,
      ]),
    );
    const out = serialize(renamed, metadata);
    dispose(Object.values(tensors));
    return out;
  });
  assertExportError(
    broken('legacy', { 'weights.safetensors': legacy }),
    out,
    /'encoder\.layers\.\*', the layout of an older cfinit/,
  );
});
