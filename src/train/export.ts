// Export of a `cfinit train` run to PyTorch. The run folder holds weights.safetensors (the final model's tensors
// under its state_dict names; a frozen closed-form encoder under `encoder.` in the fine-tuned model's layout,
// see layout.ts) and metrics.json (the RunRecord). The export is one safetensors file whose tensors are the
// state_dict of a module of python/cfinit_torch.py and whose metadata names that class and its constructor
// arguments, so `cfinit_torch.load(path)` rebuilds the model and loads it with strict=True. The expected names
// and shapes come from the cfinit modules themselves, so the two layouts cannot drift apart unnoticed.
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { CfinitError } from '../errors.ts';
import { BaselineTransformer, baselineConfig, type Module } from '../nn/index.ts';
import { isProcessAlive } from '../staging.ts';
import { Generator, deserialize, dispose, serialize, tidy, type Metadata, type TensorMap } from '../torch/index.ts';
import { BackpropMlp, ClosedFormMlp, ClosedFormTransformer, FeatureHead } from './models.ts';
import { MODEL_NAMES, modelSpec, type ModelName, type ModelSpec } from './registry.ts';

/** `format` of an export's metadata; `version` changes when the layout does. */
export const TORCH_EXPORT_FORMAT = 'cfinit-torch';
export const TORCH_EXPORT_VERSION = 1;

/** A run folder or export path that is missing, unreadable or inconsistent (names the file and what was expected). */
export class RunFileError extends CfinitError {
  override name = 'RunFileError';
}

/** The fields of a RunRecord (metrics.json) the export reads. */
export interface RunSummary {
  scenario: string;
  model: ModelName;
  seed: number;
  stepsTotal: number;
  config: {
    /** [features] (MLP) or [tokens, d] (transformer) */
    inputShape: number[];
    classes: number;
    pooling: 'none' | 'mean' | 'last';
    closedForm?: { depth: number; heads?: number; landmarks?: number; computeDtype?: 'float32' | 'float64' };
    /** cf-ridge */
    temperature?: number;
  };
}

export interface RunFiles {
  weights: TensorMap;
  metadata: Metadata;
  record: RunSummary;
  weightsFile: string;
  metricsFile: string;
}

/** A module of python/cfinit_torch.py: its class, constructor keyword arguments and state_dict. */
export interface TorchExport {
  className: string;
  config: Record<string, unknown>;
  tensors: TensorMap;
}

const positiveInt = { type: 'integer', minimum: 1 };
const RECORD_SCHEMA = {
  type: 'object',
  required: ['scenario', 'model', 'seed', 'stepsTotal', 'config'],
  properties: {
    scenario: { type: 'string' },
    model: { enum: [...MODEL_NAMES] },
    seed: { type: 'integer', minimum: 0 },
    stepsTotal: { type: 'integer', minimum: 0 },
    config: {
      type: 'object',
      required: ['inputShape', 'classes', 'pooling'],
      properties: {
        inputShape: { type: 'array', items: positiveInt, minItems: 1, maxItems: 2 },
        classes: positiveInt,
        pooling: { enum: ['none', 'mean', 'last'] },
        closedForm: {
          type: 'object',
          required: ['depth'],
          properties: {
            depth: positiveInt,
            heads: positiveInt,
            landmarks: positiveInt,
            computeDtype: { enum: ['float32', 'float64'] },
          },
        },
        temperature: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
};
const validateRecord = new Ajv({ allErrors: false, strict: true }).compile<RunSummary>(RECORD_SCHEMA);

/** "field 'config.classes' must be >= 1" from ajv's first error. */
function describe(error: ErrorObject): string {
  const path = error.instancePath.split('/').slice(1);
  const missing = error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : null;
  if (missing) return `field '${[...path, missing].join('.')}' is missing`;
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  return `field '${path.join('.')}' ${allowed ? `must be one of ${allowed.join(', ')}` : error.message}`;
}

const errorCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw new RunFileError(`${file}: missing; expected ${what}`);
    throw new RunFileError(`${file}: cannot read ${what} (${code})`);
  }
}

/** Reads and checks a `cfinit train` output folder: weights.safetensors and metrics.json written together. */
export function readRun(dir: string): RunFiles {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    throw new RunFileError(
      `${dir}: cannot open the run folder (${errorCode(err)}); expected the --out folder of cfinit train`,
    );
  }
  if (!isDir) throw new RunFileError(`${dir}: not a folder; expected the --out folder of cfinit train`);
  const weightsFile = join(dir, 'weights.safetensors');
  const metricsFile = join(dir, 'metrics.json');
  const text = readBytes(metricsFile, 'the JSON run record cfinit train writes beside weights.safetensors');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    const found = text.includes(0) ? 'binary data' : 'text that is not JSON';
    throw new RunFileError(`${metricsFile}: expected the JSON run record of cfinit train, found ${found}`);
  }
  if (!validateRecord(parsed)) {
    throw new RunFileError(`${metricsFile}: ${describe(validateRecord.errors![0]!)} (not a cfinit train run record?)`);
  }
  const record = parsed;
  const bytes = readBytes(weightsFile, 'the weights cfinit train writes beside metrics.json');
  let loaded: { tensors: TensorMap; metadata: Metadata };
  try {
    loaded = deserialize(bytes, weightsFile);
  } catch (err) {
    throw new RunFileError((err as Error).message);
  }
  const { tensors: weights, metadata } = loaded;
  for (const field of ['model', 'scenario', 'seed'] as const) {
    if (metadata[field] !== String(record[field])) {
      dispose(Object.values(weights));
      throw new RunFileError(
        `${weightsFile}: metadata ${field} is ${JSON.stringify(metadata[field] ?? null)} but ${metricsFile} ` +
          `records ${JSON.stringify(String(record[field]))}; the two files are not from one run`,
      );
    }
  }
  return { weights, metadata, record, weightsFile, metricsFile };
}

/** The run's architecture, from its input shape: [features] or [tokens, d]. */
const architectureOf = (record: RunSummary): 'mlp' | 'transformer' =>
  record.config.inputShape.length === 1 ? 'mlp' : 'transformer';

/** Names and shapes of a module's state_dict (the module is freed). */
function shapesOf(module: Module): Record<string, number[]> {
  const state = module.stateDict();
  const shapes = Object.fromEntries(Object.entries(state).map(([name, t]) => [name, t.shape]));
  dispose(Object.values(state));
  return shapes;
}

function required<T>(value: T | undefined, run: RunFiles, field: string): T {
  if (value === undefined) throw new RunFileError(`${run.metricsFile}: field '${field}' is missing`);
  return value;
}

/** A closed-form encoder as Python builds it, and the fine-tuned cfinit model whose layout it shares. */
interface EncoderPlan {
  kind: 'mlp' | 'transformer';
  /** Constructor arguments shared by the encoder and the fine-tuned model (classes aside). */
  args: { depth: number } & Record<string, unknown>;
  /** The dtype cfinit computes the frozen encoder in: float64 (MLP) or the fit's computeDtype. */
  dtype: 'float32' | 'float64';
  /** Width d of every layer. */
  width: number;
  fineTune: ClosedFormMlp | ClosedFormTransformer;
}

function encoderOf(run: RunFiles): EncoderPlan {
  const { record } = run;
  const cf = required(record.config.closedForm, run, 'config.closedForm');
  const width = record.config.inputShape[record.config.inputShape.length - 1]!;
  const { classes } = record.config;
  if (architectureOf(record) === 'mlp') {
    const fineTune = new ClosedFormMlp(width, classes, cf.depth, 0);
    return { kind: 'mlp', args: { features: width, depth: cf.depth }, dtype: 'float64', width, fineTune };
  }
  const heads = required(cf.heads, run, 'config.closedForm.heads');
  const landmarks = required(cf.landmarks, run, 'config.closedForm.landmarks');
  const dtype = required(cf.computeDtype, run, 'config.closedForm.computeDtype');
  const pooling = record.config.pooling === 'last' ? 'last' : 'mean';
  const args = { dim: width, depth: cf.depth, heads, landmarks, pooling } as const;
  return { kind: 'transformer', args, dtype, width, fineTune: new ClosedFormTransformer({ ...args, classes }, 0) };
}

/** The Python encoder's arguments: {kind, dtype, ...args}. */
const encoderConfig = (e: EncoderPlan): Record<string, unknown> => ({ kind: e.kind, ...e.args, dtype: e.dtype });

/** The encoder's expected `encoder.` tensors: the fine-tuned model's state_dict without its heads. */
function encoderShapes(e: EncoderPlan): Record<string, number[]> {
  const heads = e.fineTune instanceof ClosedFormMlp ? e.fineTune.heads : e.fineTune.output_heads;
  const headTensors = new Set(heads.flatMap((h) => h.parameters()));
  const state = e.fineTune.stateDict();
  const shapes = Object.fromEntries(
    Object.entries(state)
      .filter(([, t]) => !headTensors.has(t))
      .map(([name, t]) => [`encoder.${name}`, t.shape]),
  );
  dispose(Object.values(state));
  return shapes;
}

interface ExportPlan {
  className: string;
  config: Record<string, unknown>;
  /** The run file's tensors by name: their expected shapes. */
  shapes: Record<string, number[]>;
  /** Run-file names and orientations → the module's state_dict (default: unchanged). */
  toTorch?: (weights: TensorMap) => TensorMap;
}
type Exporter = (run: RunFiles) => ExportPlan;

/**
 * One exporter per network a model ends up as (its registry protocol and architecture): the Python class, its
 * arguments, and the state_dict it expects. Every start of the backprop network exports as that network.
 */
const EXPORTERS = {
  'finetune:backprop': (run) => {
    const { inputShape, classes, pooling } = run.record.config;
    const dim = inputShape[inputShape.length - 1]!;
    if (architectureOf(run.record) === 'mlp') {
      const depth = Object.keys(run.weights).filter((k) => /^hidden\.\d+\.weight$/.test(k)).length;
      const first = run.weights['hidden.0.weight'];
      if (!first || first.ndim !== 2) {
        throw new RunFileError(`${run.weightsFile}: tensor 'hidden.0.weight' (width, features) is missing`);
      }
      const width = first.size(0);
      const model = new BackpropMlp(dim, classes, { width, depth, generator: new Generator(0) });
      return { className: 'BackpropMlp', config: { features: dim, classes, width, depth }, shapes: shapesOf(model) };
    }
    const config = baselineConfig(dim, classes, pooling === 'last' ? 'last' : 'mean');
    const model = new BaselineTransformer(config, { generator: new Generator(0) });
    const { tokenDim, numClasses, depth, numHeads, layerNormEps } = model.config;
    const ffnDim = model.blocks[0]!.linear1.outFeatures;
    return {
      className: 'BaselineTransformer',
      config: {
        token_dim: tokenDim,
        classes: numClasses,
        depth,
        num_heads: numHeads,
        ffn_dim: ffnDim,
        pooling: config.pooling,
        eps: layerNormEps,
      },
      shapes: shapesOf(model),
    };
  },
  'finetune:closed-form': (run) => {
    const encoder = encoderOf(run);
    return {
      className: encoder.kind === 'mlp' ? 'ClosedFormMlp' : 'ClosedFormTransformer',
      config: { ...encoder.args, classes: run.record.config.classes },
      shapes: shapesOf(encoder.fineTune),
    };
  },
  'head:closed-form': (run) => {
    const encoder = encoderOf(run);
    const { classes } = run.record.config;
    const head = new FeatureHead((encoder.args.depth + 1) * encoder.width, classes, 0);
    const shapes = { ...encoderShapes(encoder), ...shapesOf(head) };
    return { className: 'ClosedFormCeHead', config: { encoder: encoderConfig(encoder), classes }, shapes };
  },
  'analytic:closed-form': (run) => {
    const encoder = encoderOf(run);
    const { classes } = run.record.config;
    const shapes = encoderShapes(encoder);
    for (let l = 0; l < encoder.args.depth; l++) shapes[`readouts.${l}`] = [encoder.width, classes]; // W_ℓ (F_ℓ, C)
    const temperature = required(run.record.config.temperature, run, 'config.temperature');
    const stored = run.metadata.temperature === undefined ? undefined : Number(run.metadata.temperature);
    if (stored !== temperature) {
      throw new RunFileError(
        `${run.weightsFile}: metadata temperature is ${JSON.stringify(run.metadata.temperature ?? null)} but ` +
          `${run.metricsFile} records ${temperature}; the two files are not from one run`,
      );
    }
    // readouts.ℓ.weight = W_ℓᵀ (C, F_ℓ): a bias-free Linear, logits = Σ_ℓ X_ℓ W_ℓ · temperature
    const toTorch = (weights: TensorMap): TensorMap =>
      Object.fromEntries(
        Object.entries(weights).map(([name, t]) =>
          /^readouts\.\d+$/.test(name) ? [`${name}.weight`, t.t()] : [name, t],
        ),
      );
    return {
      className: 'ClosedFormRidge',
      config: { encoder: encoderConfig(encoder), classes, temperature },
      shapes,
      toTorch,
    };
  },
} satisfies Record<string, Exporter>;

function exporterOf(spec: ModelSpec): Exporter {
  const exporter = (EXPORTERS as Record<string, Exporter>)[`${spec.protocol}:${spec.architecture}`];
  if (!exporter)
    throw new RunFileError(`${spec.name}: no PyTorch module for a ${spec.protocol} ${spec.architecture} model`);
  return exporter;
}

/** Every expected tensor present with its shape, floating and finite; nothing else. */
function checkWeights(run: RunFiles, shapes: Record<string, number[]>): void {
  const { weights, weightsFile: file } = run;
  const what = `a ${run.record.model} run of ${run.record.scenario}`;
  if (Object.keys(weights).some((name) => /^encoder\.layers\./.test(name))) {
    throw new RunFileError(
      `${file}: the encoder is saved as 'encoder.layers.*', the layout of an older cfinit (without the ` +
        `attention blend α); re-run cfinit train to export it`,
    );
  }
  for (const [name, shape] of Object.entries(shapes)) {
    const t = weights[name];
    if (!t) throw new RunFileError(`${file}: tensor '${name}' is missing; expected for ${what}`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new RunFileError(`${file}: tensor '${name}' has shape [${t.shape}], expected [${shape}] for ${what}`);
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new RunFileError(`${file}: tensor '${name}' is ${t.dtype}, expected float32 or float64`);
    }
    if (!tidy(() => t.isfinite().all().item())) throw new RunFileError(`${file}: tensor '${name}' contains NaN or Inf`);
  }
  const extra = Object.keys(weights).filter((name) => !(name in shapes));
  if (extra.length > 0) {
    throw new RunFileError(
      `${file}: tensor '${extra[0]}' is not part of ${what}` +
        `${extra.length > 1 ? ` (nor ${extra.length - 1} more)` : ''}`,
    );
  }
}

/**
 * The run as a module of python/cfinit_torch.py: its class, constructor arguments and state_dict (the run's
 * tensors or views of them, still owned by run.weights).
 */
export function torchExport(run: RunFiles): TorchExport {
  const plan = tidy(() => exporterOf(modelSpec(run.record.model))(run));
  checkWeights(run, plan.shapes);
  return { className: plan.className, config: plan.config, tensors: plan.toTorch?.(run.weights) ?? { ...run.weights } };
}

/** The bytes of an export: the state_dict, and metadata naming the class, its arguments and the run. */
export function serializeTorchExport(exported: TorchExport, record: RunSummary): Buffer {
  const { scenario, model, seed, stepsTotal } = record;
  return serialize(exported.tensors, {
    format: TORCH_EXPORT_FORMAT,
    version: String(TORCH_EXPORT_VERSION),
    class: exported.className,
    config: JSON.stringify(exported.config),
    source: JSON.stringify({ scenario, model, seed, steps: stepsTotal }),
  });
}

/** The safetensors metadata of a file, or null when it is not a readable safetensors file. */
function safetensorsMetadata(file: string): Metadata | null {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return null;
    const length = head.readBigUInt64LE(0);
    if (length > BigInt(Math.min(statSync(file).size - 8, 100_000_000))) return null;
    const header = Buffer.alloc(Number(length));
    if (readSync(fd, header, 0, header.length, 8) !== header.length) return null;
    const parsed = JSON.parse(header.toString('utf8')) as { __metadata__?: Metadata };
    return parsed.__metadata__ ?? {};
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Refuses a path that is a symbolic link, not a regular file, or an existing file cfinit did not export
 * (it is never overwritten); removes staging files of killed exports to this path.
 */
function checkTarget(out: string): void {
  let stat;
  try {
    stat = lstatSync(out);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT')
      throw new RunFileError(`${out}: cannot inspect the output path (${errorCode(err)})`);
  }
  if (stat?.isSymbolicLink()) {
    throw new RunFileError(`${out}: is a symbolic link; cfinit does not write through links (give the real path)`);
  }
  if (stat && !stat.isFile()) throw new RunFileError(`${out}: exists and is not a file; expected a .safetensors path`);
  if (stat && safetensorsMetadata(out)?.format !== TORCH_EXPORT_FORMAT) {
    throw new RunFileError(`${out}: exists and is not a cfinit export; refusing to overwrite it (choose another path)`);
  }
  let names: string[] = [];
  try {
    names = readdirSync(dirname(out));
  } catch {
    return; // no folder yet: created by the write
  }
  for (const name of names) {
    const match = /^(.*)\.partial-(\d+)$/.exec(name);
    if (match && match[1] === basename(out) && !isProcessAlive(Number(match[2]))) {
      rmSync(join(dirname(out), name), { force: true });
    }
  }
}

/** Writes bytes to a staging file beside out (every byte, flushed), then renames it into place. */
function writeAtomically(out: string, bytes: Uint8Array): void {
  checkTarget(out);
  const staging = `${out}.partial-${process.pid}`;
  try {
    mkdirSync(dirname(out), { recursive: true });
    const fd = openSync(staging, 'wx');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const size = statSync(staging).size;
    if (size !== bytes.length) throw new RunFileError(`${staging}: wrote ${size} of ${bytes.length} bytes`);
    renameSync(staging, out);
    const dir = openSync(dirname(out), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (err) {
    rmSync(staging, { force: true });
    if (err instanceof CfinitError || !(err as NodeJS.ErrnoException).code) throw err;
    throw new RunFileError(`${out}: cannot write the export (${errorCode(err)})`);
  }
}

/** `cfinit export RUN_DIR --torch OUT`: reads the run, maps it, writes OUT atomically. */
export function exportRun(runDir: string, out: string): { className: string; tensors: number; bytes: number } {
  const run = readRun(runDir);
  try {
    return tidy(() => {
      const exported = torchExport(run);
      const bytes = serializeTorchExport(exported, run.record);
      writeAtomically(resolve(out), bytes);
      return { className: exported.className, tensors: Object.keys(exported.tensors).length, bytes: bytes.length };
    });
  } finally {
    dispose(Object.values(run.weights));
  }
}
