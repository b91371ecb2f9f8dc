// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
// {string: string}}, then the raw little-endian tensor bytes, every byte covered exactly once.
import { readFileSync } from 'node:fs';
import { CfinitError, ConfigError, ShapeError } from '../errors.ts';
import { fileError, writeFileAtomic } from '../fsio.ts';
import { native } from './native.ts';
import { BYTES_PER_ELEMENT, dtypeCode, type DType } from './dtype.ts';
import { Tensor } from './tensor.ts';

const CODE_OF: Record<DType, string> = {
  bool: 'BOOL',
  uint8: 'U8',
  int8: 'I8',
  int16: 'I16',
  int32: 'I32',
  int64: 'I64',
  float16: 'F16',
  bfloat16: 'BF16',
  float32: 'F32',
  float64: 'F64',
};
const DTYPE_OF = new Map<string, DType>(Object.entries(CODE_OF).map(([k, v]) => [v, k as DType]));
const MAX_HEADER_BYTES = 100_000_000;

export type TensorMap = Record<string, Tensor>;
export type Metadata = Record<string, string>;

/** The bytes of a safetensors file holding these tensors (written in name order). */
export function serialize(tensors: TensorMap, metadata: Metadata = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ConfigError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new ConfigError("a tensor cannot be named '__metadata__'");
    const t = tensors[name];
    if (!(t instanceof Tensor)) throw new ShapeError(`safetensors: '${name}' must be a Tensor, got ${typeof t}`);
    const bytes = new Uint8Array(t.native.toBuffer());
    header[name] = { dtype: CODE_OF[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keeps the data 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes the file atomically and completely (src/fsio.ts): a crash or a full disk never leaves a short file. */
export async function saveSafetensors(path: string, tensors: TensorMap, metadata: Metadata = {}): Promise<void> {
  writeFileAtomic(path, serialize(tensors, metadata));
}

export function saveSafetensorsSync(path: string, tensors: TensorMap, metadata: Metadata = {}): void {
  writeFileAtomic(path, serialize(tensors, metadata));
}

/** A safetensors file (or bytes) that cannot be read: names the source and what is wrong. */
export class SafetensorsError extends CfinitError {
  override name = 'SafetensorsError';
}

function fail(source: string, message: string): never {
  throw new SafetensorsError(`${source}: not a valid safetensors file: ${message}`);
}

/** Parses safetensors bytes; `source` names the file in errors. */
export function deserialize(
  bytes: Uint8Array,
  source = 'safetensors data',
): { tensors: TensorMap; metadata: Metadata } {
  if (bytes.length < 8) fail(source, `${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(bytes.length - 8, MAX_HEADER_BYTES))) {
    fail(source, `header length ${headerLength} exceeds the ${bytes.length - 8} bytes that follow`);
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8'));
  } catch (err) {
    fail(source, `header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail(source, 'header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Metadata = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        fail(source, '__metadata__ must map strings to strings');
      }
      metadata = raw as Metadata;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof info?.dtype === 'string' ? DTYPE_OF.get(info.dtype) : undefined;
    if (!dtype) fail(source, `tensor '${name}' has unsupported dtype ${JSON.stringify(info?.dtype)}`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(source, `tensor '${name}' has a bad shape ${JSON.stringify(info.shape)}`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(source, `tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const shape = info.shape as number[];
    const expected = shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    if (end < begin || end > dataLength)
      fail(source, `tensor '${name}' data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
    if (end - begin !== expected)
      fail(source, `tensor '${name}' has ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${expected}`);
    entries.push({ name, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor)
      fail(source, `tensor '${e.name}' starts at byte ${e.begin}, expected ${cursor} (overlap or hole)`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(source, `${dataLength - cursor} trailing data bytes belong to no tensor`);
  const tensors: TensorMap = {};
  for (const e of entries) {
    const slice = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart + e.begin, e.end - e.begin);
    tensors[e.name] = new Tensor(native.fromBuffer(slice, e.shape, dtypeCode(e.dtype)));
  }
  return { tensors, metadata };
}

export function loadSafetensors(path: string): { tensors: TensorMap; metadata: Metadata } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    fileError(err, path, 'read the safetensors file');
  }
  return deserialize(bytes, path);
}
