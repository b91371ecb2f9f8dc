// Saving and loading fitted encoder states: the tensors as safetensors (float64), everything else in
// a small JSON manifest next to it. Both files are written atomically (temp file + rename).
import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { loadSafetensors, saveSafetensorsSync, scalarTensor, type Tensor, type TensorMap } from '../torch/index.ts';
import type { MlpEncoderState } from './mlp.ts';
import type { TransformerEncoderConfig, TransformerEncoderState } from './transformer.ts';

const FORMAT = 'cfinit-closedform-state';
const VERSION = 1;

interface Manifest {
  format: typeof FORMAT;
  version: number;
  kind: 'transformer' | 'mlp';
  tensors: string;
  config: Record<string, unknown>;
  dims: Record<string, number>;
  seeds: Record<string, number>;
  fitSeconds: number | null;
}

/** `<base>.safetensors` and `<base>.json`. */
export function statePaths(base: string): { tensors: string; manifest: string } {
  return { tensors: `${base}.safetensors`, manifest: `${base}.json` };
}

function writeState(base: string, kind: Manifest['kind'], tensors: TensorMap, rest: Omit<Manifest, 'format' | 'version' | 'kind' | 'tensors'>): void {
  const paths = statePaths(base);
  saveSafetensorsSync(paths.tensors, tensors, { format: FORMAT, kind });
  const manifest: Manifest = { format: FORMAT, version: VERSION, kind, tensors: paths.tensors.split('/').pop()!, ...rest };
  writeFileAtomic.sync(paths.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

function readState(base: string, kind: Manifest['kind']): { manifest: Manifest; tensors: TensorMap; file: string } {
  const paths = statePaths(base);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, 'utf8'));
  } catch (err) {
    throw new Error(`${paths.manifest}: cannot read the state manifest (${(err as Error).message})`);
  }
  if (manifest?.format !== FORMAT) throw new Error(`${paths.manifest}: field 'format' must be '${FORMAT}', got ${JSON.stringify(manifest?.format)}`);
  if (manifest.version !== VERSION) throw new Error(`${paths.manifest}: field 'version' must be ${VERSION}, got ${JSON.stringify(manifest.version)}`);
  if (manifest.kind !== kind) throw new Error(`${paths.manifest}: field 'kind' is '${manifest.kind}' but a ${kind} state was requested`);
  return { manifest, tensors: loadSafetensors(paths.tensors).tensors, file: paths.tensors };
}

function take(tensors: TensorMap, name: string, file: string, shape: number[]): Tensor {
  const t = tensors[name];
  if (!t) throw new Error(`${file}: tensor '${name}' is missing`);
  if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new Error(`${file}: tensor '${name}' has shape [${t.shape}], expected [${shape}]`);
  }
  return t;
}

function positiveInt(value: unknown, field: string, file: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${file}: field '${field}' must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

export function saveTransformerEncoder(base: string, state: TransformerEncoderState): void {
  const tensors: TensorMap = {};
  state.layers.forEach((layer, i) => {
    tensors[`layers.${i}.attention.sigma_inv_sqrt`] = layer.attention.sigmaInvSqrt;
    tensors[`layers.${i}.attention.heads`] = layer.attention.heads;
    tensors[`layers.${i}.attention.output_map`] = layer.attention.outputMap;
    tensors[`layers.${i}.attention.alpha`] = scalarTensor(layer.attention.alpha, { dtype: 'float64' });
    tensors[`layers.${i}.ffn`] = layer.ffn;
  });
  writeState(base, 'transformer', tensors, {
    config: { ...state.config }, dims: { ...state.dims }, seeds: { ...state.seeds }, fitSeconds: state.fitSeconds,
  });
}

export function loadTransformerEncoder(base: string): TransformerEncoderState {
  const { manifest, tensors, file } = readState(base, 'transformer');
  const config = manifest.config as unknown as TransformerEncoderConfig;
  const where = statePaths(base).manifest;
  const depth = positiveInt(config.depth, 'config.depth', where);
  const heads = positiveInt(config.heads, 'config.heads', where);
  const landmarks = positiveInt(config.landmarks, 'config.landmarks', where);
  const width = positiveInt(manifest.dims?.width, 'dims.width', where);
  const layers = Array.from({ length: depth }, (_, i) => ({
    attention: {
      sigmaInvSqrt: take(tensors, `layers.${i}.attention.sigma_inv_sqrt`, file, [width, width]),
      heads: take(tensors, `layers.${i}.attention.heads`, file, [heads, width, landmarks]),
      outputMap: take(tensors, `layers.${i}.attention.output_map`, file, [heads * width, width]),
      alpha: take(tensors, `layers.${i}.attention.alpha`, file, []).item(),
    },
    ffn: take(tensors, `layers.${i}.ffn`, file, [width, width]),
  }));
  return {
    config: { ...config }, dims: { width, tokens: manifest.dims.tokens }, layers,
    fitSeconds: manifest.fitSeconds ?? 0, seeds: { ...manifest.seeds },
  };
}

export function saveMlpEncoder(base: string, state: MlpEncoderState, extra: { seeds?: Record<string, number>; fitSeconds?: number } = {}): void {
  const tensors: TensorMap = { 'initial.mean': state.initial.mean, 'initial.scale': state.initial.scale };
  state.layers.forEach((layer, i) => {
    tensors[`layers.${i}.transform`] = layer.transform;
    tensors[`layers.${i}.norm.mean`] = layer.norm.mean;
    tensors[`layers.${i}.norm.scale`] = layer.norm.scale;
  });
  writeState(base, 'mlp', tensors, {
    config: { ...state.config }, dims: { width: state.initial.mean.size(1) }, seeds: { ...extra.seeds }, fitSeconds: extra.fitSeconds ?? null,
  });
}

export function loadMlpEncoder(base: string): MlpEncoderState {
  const { manifest, tensors, file } = readState(base, 'mlp');
  const where = statePaths(base).manifest;
  const depth = positiveInt(manifest.config?.depth, 'config.depth', where);
  const width = positiveInt(manifest.dims?.width, 'dims.width', where);
  const lambda = manifest.config.lambda as number;
  return {
    initial: { mean: take(tensors, 'initial.mean', file, [1, width]), scale: take(tensors, 'initial.scale', file, [1, width]) },
    layers: Array.from({ length: depth }, (_, i) => ({
      transform: take(tensors, `layers.${i}.transform`, file, [width, width]),
      norm: { mean: take(tensors, `layers.${i}.norm.mean`, file, [1, width]), scale: take(tensors, `layers.${i}.norm.scale`, file, [1, width]) },
    })),
    config: { depth, lambda },
  };
}
