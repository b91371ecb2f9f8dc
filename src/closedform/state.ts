// Saving and loading fitted encoder states: the tensors as safetensors (float64), everything else in
// a small JSON manifest next to it. The pair is one unit: both files are serialised and validated
// before anything is written, written to staging names, then renamed into place; the manifest carries
// the tensors file's sha256, so a pair that was not saved together (a crash between the two renames,
// a file copied from elsewhere) is rejected on load, as is any manifest or tensor that does not match
// the schema below.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { CfinitError } from '../errors.ts';
import { isProcessAlive } from '../staging.ts';
import { deserialize, scalarTensor, serialize, tidy, type TensorMap } from '../torch/index.ts';
import type { MlpEncoderState } from './mlp.ts';
import type { TransformerEncoderConfig, TransformerEncoderState } from './transformer.ts';

const FORMAT = 'cfinit-closedform-state';
/** 2: the manifest carries `tensorsSha256` (version 1 files cannot be checked as a pair). */
const VERSION = 2;
const STATE_DTYPE = 'float64';

/** A state file pair that is unreadable, inconsistent or not what was asked for (names the file and field). */
export class StateFileError extends CfinitError {
  override name = 'StateFileError';
}

type Kind = 'transformer' | 'mlp';

interface Manifest {
  format: typeof FORMAT;
  version: number;
  kind: Kind;
  /** File name of the tensors (beside the manifest). */
  tensors: string;
  /** sha256 (hex) of the tensors file's bytes. */
  tensorsSha256: string;
  config: Record<string, unknown>;
  dims: Record<string, number>;
  seeds: Record<string, number>;
  fitSeconds: number | null;
}

const positiveInt = { type: 'integer', minimum: 1 };
/** JSON has no Infinity or NaN, and the schema keeps every number in range. */
const CONFIG_SCHEMA: Record<Kind, object> = {
  transformer: {
    type: 'object',
    additionalProperties: false,
    required: ['depth', 'lambda', 'heads', 'landmarks', 'computeDtype', 'batchTokens'],
    properties: {
      depth: positiveInt,
      lambda: { type: 'number', exclusiveMinimum: 0 },
      heads: positiveInt,
      landmarks: positiveInt,
      computeDtype: { enum: ['float32', 'float64'] },
      batchTokens: positiveInt,
    },
  },
  mlp: {
    type: 'object',
    additionalProperties: false,
    required: ['depth', 'lambda'],
    properties: { depth: positiveInt, lambda: { type: 'number', exclusiveMinimum: 0 } },
  },
};
const DIMS_SCHEMA: Record<Kind, object> = {
  transformer: {
    type: 'object',
    additionalProperties: false,
    required: ['width', 'tokens'],
    properties: { width: positiveInt, tokens: positiveInt },
  },
  mlp: { type: 'object', additionalProperties: false, required: ['width'], properties: { width: positiveInt } },
};

function manifestSchema(kind: Kind): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['format', 'version', 'kind', 'tensors', 'tensorsSha256', 'config', 'dims', 'seeds', 'fitSeconds'],
    properties: {
      format: { const: FORMAT },
      version: { const: VERSION },
      kind: { const: kind },
      tensors: { type: 'string', minLength: 1 },
      tensorsSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      config: CONFIG_SCHEMA[kind],
      dims: DIMS_SCHEMA[kind],
      seeds: { type: 'object', additionalProperties: { type: 'integer' } },
      fitSeconds: { type: ['number', 'null'], minimum: 0 },
    },
  };
}

const ajv = new Ajv({ allErrors: false, strict: true });
const validators = { transformer: ajv.compile(manifestSchema('transformer')), mlp: ajv.compile(manifestSchema('mlp')) };

/** "field 'config.depth' must be >= 1, got 0" from ajv's first error. */
function describeError(error: ErrorObject, value: unknown): string {
  const path = error.instancePath.split('/').slice(1);
  const params = error.params as {
    additionalProperty?: string;
    missingProperty?: string;
    allowedValue?: unknown;
    allowedValues?: unknown[];
  };
  const extra = error.keyword === 'additionalProperties' ? params.additionalProperty! : null;
  const required = error.keyword === 'required' ? params.missingProperty! : null;
  const field = [...path, ...(extra ? [extra] : []), ...(required ? [required] : [])].join('.') || '(top level)';
  if (extra) return `field '${field}' is not part of the format`;
  if (required) return `field '${field}' is missing`;
  const got = path.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
  const expected =
    error.keyword === 'const'
      ? `must be ${JSON.stringify(params.allowedValue)}`
      : error.keyword === 'enum'
        ? `must be one of ${params.allowedValues!.join(', ')}`
        : error.message;
  const shown = typeof got === 'bigint' ? `${got}n (a BigInt)` : (JSON.stringify(got) ?? String(got));
  return `field '${field}' ${expected}, got ${shown}`;
}

function checkManifest(value: unknown, kind: Kind, file: string): Manifest {
  const validate = validators[kind];
  if (!validate(value)) {
    const error = validate.errors![0];
    // a file that is some other kind of state says so, rather than listing its config fields
    const otherKind = (value as { kind?: unknown } | null)?.kind;
    if (otherKind !== kind && (otherKind === 'mlp' || otherKind === 'transformer')) {
      throw new StateFileError(`${file}: field 'kind' is '${otherKind}' but a ${kind} state was requested`);
    }
    throw new StateFileError(`${file}: ${describeError(error, value)}`);
  }
  return value as Manifest;
}

/** `<base>.safetensors` and `<base>.json`. */
export function statePaths(base: string): { tensors: string; manifest: string } {
  return { tensors: `${base}.safetensors`, manifest: `${base}.json` };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes bytes to path and flushes them to disk, so a rename after it publishes complete content. */
function writeDurably(path: string, bytes: Uint8Array | string): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const errorCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

function wrapFs(err: unknown, path: string, doing: string): never {
  throw new StateFileError(`${path}: cannot ${doing} (${errorCode(err)})`);
}

/** Removes `<file>.partial-<pid>` staging files of processes killed mid-save (a SIGKILL runs no cleanup). */
function removeStaleStaging(files: readonly string[]): void {
  const folder = dirname(files[0]);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return; // no folder yet: nothing stale; the write below reports the path if it cannot create files there
  }
  for (const name of names) {
    const match = /^(.*)\.partial-(\d+)$/.exec(name);
    if (match && files.some((f) => basename(f) === match[1]) && !isProcessAlive(Number(match[2]))) {
      rmSync(join(folder, name), { force: true });
    }
  }
}

function writeState(
  base: string,
  kind: Kind,
  tensors: TensorMap,
  rest: Pick<Manifest, 'config' | 'dims' | 'seeds' | 'fitSeconds'>,
): void {
  const paths = statePaths(base);
  // everything is serialised and checked before the first byte is written
  for (const [name, t] of Object.entries(tensors)) {
    if (!tidy(() => t.isfinite().all().item())) {
      throw new StateFileError(`${paths.tensors}: tensor '${name}' is not finite; refusing to save it`);
    }
  }
  const bytes = serialize(tensors, { format: FORMAT, kind });
  const manifest: Manifest = {
    format: FORMAT,
    version: VERSION,
    kind,
    tensors: basename(paths.tensors),
    tensorsSha256: sha256(bytes),
    ...rest,
  };
  checkManifest(manifest, kind, paths.manifest); // catches a BigInt before stringify throws on it
  const json = `${JSON.stringify(manifest, null, 2)}\n`;
  checkManifest(JSON.parse(json), kind, paths.manifest); // JSON turns Infinity and NaN into null
  removeStaleStaging([paths.tensors, paths.manifest]);
  const staging = {
    tensors: `${paths.tensors}.partial-${process.pid}`,
    manifest: `${paths.manifest}.partial-${process.pid}`,
  };
  try {
    try {
      writeDurably(staging.tensors, bytes);
      writeDurably(staging.manifest, json);
    } catch (err) {
      wrapFs(err, base, 'write the state files');
    }
    // A crash between these renames leaves new tensors beside the old manifest: the checksum rejects that pair.
    try {
      renameSync(staging.tensors, paths.tensors);
      renameSync(staging.manifest, paths.manifest);
    } catch (err) {
      wrapFs(err, base, 'move the state files into place');
    }
  } finally {
    rmSync(staging.tensors, { force: true });
    rmSync(staging.manifest, { force: true });
  }
}

function readState(base: string, kind: Kind): { manifest: Manifest; tensors: TensorMap; file: string; where: string } {
  const paths = statePaths(base);
  let raw: string;
  try {
    raw = readFileSync(paths.manifest, 'utf8');
  } catch (err) {
    throw new StateFileError(`${paths.manifest}: cannot read the state manifest (${errorCode(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    const found = raw.includes('\0') ? 'binary data' : 'text that is not JSON';
    throw new StateFileError(`${paths.manifest}: expected a JSON state manifest, found ${found}`);
  }
  const manifest = checkManifest(parsed, kind, paths.manifest);
  let bytes: Buffer;
  try {
    bytes = readFileSync(paths.tensors);
  } catch (err) {
    throw new StateFileError(`${paths.tensors}: cannot read the state tensors (${errorCode(err)})`);
  }
  const digest = sha256(bytes);
  if (digest !== manifest.tensorsSha256) {
    throw new StateFileError(
      `${paths.tensors}: sha256 ${digest.slice(0, 16)}… does not match ${paths.manifest} ` +
        `(${manifest.tensorsSha256.slice(0, 16)}…); the two files were not saved together`,
    );
  }
  let tensors: TensorMap;
  try {
    tensors = deserialize(bytes, paths.tensors).tensors;
  } catch (err) {
    throw new StateFileError((err as Error).message);
  }
  return { manifest, tensors, file: paths.tensors, where: paths.manifest };
}

/** Checks the loaded tensors are exactly the expected ones (names, float64, shapes, finite values). */
function checkTensors(tensors: TensorMap, expected: Record<string, number[]>, file: string): void {
  for (const [name, shape] of Object.entries(expected)) {
    const t = tensors[name];
    if (!t) throw new StateFileError(`${file}: tensor '${name}' is missing`);
    if (t.dtype !== STATE_DTYPE) {
      throw new StateFileError(`${file}: tensor '${name}' is ${t.dtype}, expected ${STATE_DTYPE}`);
    }
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new StateFileError(`${file}: tensor '${name}' has shape [${t.shape}], expected [${shape}]`);
    }
    if (!tidy(() => t.isfinite().all().item())) {
      throw new StateFileError(`${file}: tensor '${name}' contains NaN or Inf`);
    }
  }
  const extra = Object.keys(tensors).filter((name) => !(name in expected));
  if (extra.length > 0) {
    throw new StateFileError(
      `${file}: tensor '${extra[0]}' is not part of this state` +
        `${extra.length > 1 ? ` (nor ${extra.length - 1} more)` : ''}; is the manifest's depth or kind wrong?`,
    );
  }
}

export function saveTransformerEncoder(base: string, state: TransformerEncoderState): void {
  const tensors: TensorMap = {};
  const alphas = state.layers.map((layer) => scalarTensor(layer.attention.alpha, { dtype: 'float64' }));
  state.layers.forEach((layer, i) => {
    tensors[`layers.${i}.attention.sigma_inv_sqrt`] = layer.attention.sigmaInvSqrt;
    tensors[`layers.${i}.attention.heads`] = layer.attention.heads;
    tensors[`layers.${i}.attention.output_map`] = layer.attention.outputMap;
    tensors[`layers.${i}.attention.alpha`] = alphas[i];
    tensors[`layers.${i}.ffn`] = layer.ffn;
  });
  try {
    writeState(base, 'transformer', tensors, {
      config: { ...state.config },
      dims: { ...state.dims },
      seeds: { ...state.seeds },
      fitSeconds: state.fitSeconds,
    });
  } finally {
    for (const a of alphas) a.dispose();
  }
}

function transformerTensorShapes(
  depth: number,
  heads: number,
  landmarks: number,
  width: number,
): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (let i = 0; i < depth; i++) {
    shapes[`layers.${i}.attention.sigma_inv_sqrt`] = [width, width];
    shapes[`layers.${i}.attention.heads`] = [heads, width, landmarks];
    shapes[`layers.${i}.attention.output_map`] = [heads * width, width];
    shapes[`layers.${i}.attention.alpha`] = [];
    shapes[`layers.${i}.ffn`] = [width, width];
  }
  return shapes;
}

export function loadTransformerEncoder(base: string): TransformerEncoderState {
  const { manifest, tensors, file } = readState(base, 'transformer');
  const config = manifest.config as unknown as TransformerEncoderConfig;
  const { depth, heads, landmarks } = config;
  const { width, tokens } = manifest.dims as { width: number; tokens: number };
  checkTensors(tensors, transformerTensorShapes(depth, heads, landmarks, width), file);
  const layers = Array.from({ length: depth }, (_, i) => {
    const alpha = tensors[`layers.${i}.attention.alpha`];
    const layer = {
      attention: {
        sigmaInvSqrt: tensors[`layers.${i}.attention.sigma_inv_sqrt`],
        heads: tensors[`layers.${i}.attention.heads`],
        outputMap: tensors[`layers.${i}.attention.output_map`],
        alpha: alpha.item(),
      },
      ffn: tensors[`layers.${i}.ffn`],
    };
    alpha.dispose();
    return layer;
  });
  return {
    config: { ...config },
    dims: { width, tokens },
    layers,
    fitSeconds: manifest.fitSeconds ?? 0,
    seeds: { ...manifest.seeds },
  };
}

export function saveMlpEncoder(
  base: string,
  state: MlpEncoderState,
  extra: { seeds?: Record<string, number>; fitSeconds?: number } = {},
): void {
  const tensors: TensorMap = { 'initial.mean': state.initial.mean, 'initial.scale': state.initial.scale };
  state.layers.forEach((layer, i) => {
    tensors[`layers.${i}.transform`] = layer.transform;
    tensors[`layers.${i}.norm.mean`] = layer.norm.mean;
    tensors[`layers.${i}.norm.scale`] = layer.norm.scale;
  });
  writeState(base, 'mlp', tensors, {
    config: { ...state.config },
    dims: { width: state.initial.mean.size(1) },
    seeds: { ...extra.seeds },
    fitSeconds: extra.fitSeconds ?? null,
  });
}

export function loadMlpEncoder(base: string): MlpEncoderState {
  const { manifest, tensors, file } = readState(base, 'mlp');
  const { depth, lambda } = manifest.config as { depth: number; lambda: number };
  const width = manifest.dims.width;
  const shapes: Record<string, number[]> = { 'initial.mean': [1, width], 'initial.scale': [1, width] };
  for (let i = 0; i < depth; i++) {
    shapes[`layers.${i}.transform`] = [width, width];
    shapes[`layers.${i}.norm.mean`] = [1, width];
    shapes[`layers.${i}.norm.scale`] = [1, width];
  }
  checkTensors(tensors, shapes, file);
  return {
    initial: { mean: tensors['initial.mean'], scale: tensors['initial.scale'] },
    layers: Array.from({ length: depth }, (_, i) => ({
      transform: tensors[`layers.${i}.transform`],
      norm: { mean: tensors[`layers.${i}.norm.mean`], scale: tensors[`layers.${i}.norm.scale`] },
    })),
    config: { depth, lambda },
  };
}
