// The native addon (native/*.cc), loaded once. Only src/torch talks to it.
import os from 'node:os';
import { ConfigError } from '../errors.ts';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeTensor {
  shape(): number[];
  dtype(): number;
  numel(): number;
  dispose(): void;
  isDisposed(): boolean;
  requiresGrad(): boolean;
  setRequiresGrad(requiresGrad: boolean): void;
  isLeaf(): boolean;
  grad(): NativeTensor | null;
  setGrad(grad: NativeTensor | null): void;
  item(): number | boolean;
  toBuffer(): ArrayBuffer;
  copyFrom(source: NativeTensor): void;
  sameStorage(other: NativeTensor): boolean;
}

export interface NativeGenerator {
  manualSeed(seed: number): void;
  initialSeed(): number;
  getState(): NativeTensor;
  setState(state: NativeTensor): void;
}

export interface NativeAddon {
  TensorHandle: abstract new () => NativeTensor;
  GeneratorHandle: new (seed?: number) => NativeGenerator;
  opId(name: string, overload: string): number;
  callOp(id: number, args: unknown[], discardResult?: boolean): unknown;
  opSchema(id: number): string;
  fromBuffer(data: ArrayBufferView, shape: readonly number[], dtype: number): NativeTensor;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  blasThreads(n?: number): number;
  parallelInfo(): string;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  backward(tensors: NativeTensor[], grads: (NativeTensor | null)[], retainGraph: boolean, createGraph: boolean): void;
  version(): { torch: string; napi: number };
  liveTensors(): number;
  releaseFreeMemory(): boolean;
  packedAttention(qkv: NativeTensor, heads: number): NativeTensor;
  spectralContexts(xs: NativeTensor[], queryMap: NativeTensor, heads: number, outs: NativeTensor[]): void;
  productUpdates(cs: NativeTensor[], as: NativeTensor[], bs: NativeTensor[] | null, alphas: number[]): void;
  attentionSublayers(
    xs: NativeTensor[],
    ctxs: NativeTensor[],
    queryMap: NativeTensor,
    heads: number,
    outputMap: NativeTensor,
    alpha: number,
  ): void;
  ffnSublayers(xs: NativeTensor[], ffn: NativeTensor): void;
  columnMoments(x: NativeTensor, relu: boolean): NativeTensor;
  linearReluMoments(x: NativeTensor, transform: NativeTensor, out: NativeTensor): NativeTensor;
  normalizeColumns(x: NativeTensor, mean: NativeTensor, scale: NativeTensor): void;
  sumAndDifference(
    a: NativeTensor,
    b: NativeTensor,
    shift: NativeTensor | null,
    sum: NativeTensor,
    diff: NativeTensor,
  ): NativeTensor;
  adamwStep(
    params: NativeTensor[],
    expAvgs: NativeTensor[],
    expAvgSqs: NativeTensor[],
    step: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    maximize: boolean,
  ): void;
}

function load(): { addon: NativeAddon; path: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/torch and dist/torch both sit two levels below the package root.
  const root = path.resolve(here, '..', '..');
  const candidates = [
    process.env.CFINIT_NATIVE,
    path.join(root, 'build', 'Release', 'cfinit_native.node'),
    path.join(root, 'build', 'Debug', 'cfinit_native.node'),
  ].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'cfinit: the native addon is not built. Run `bash scripts/setup.sh` (Debian/Ubuntu) or ' +
        '`npm install` with libtorch available (apt-get install -y libtorch-dev, or LIBTORCH=/path/to/libtorch).',
    );
  }
  // libgomp reads its wait policy once, when libtorch loads. Its default keeps idle worker threads
  // spinning, and ATen's OpenMP pool then fights OpenBLAS's own threads for the cores between ops:
  // measured on 2 cores, the per-head attention scores of a (512, 16, 8) batch took 16 ms spinning
  // vs 1.2 ms passive. An explicit OMP_WAIT_POLICY is left alone.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  // OpenBLAS (pthread build) reads this once, when it loads: after each call its workers spin in sched_yield for
  // 2^28 cycles (~0.1 s) by default, taking the cores from ATen's workers; a third of a fit's CPU samples were that
  // loop. 2^4 cycles puts them to sleep at once. Measured on 2 cores, interleaved: training steps 15–25% faster,
  // the QNLI-shape fit 7%, the covtype MLP fit 13%. An explicit value is left alone.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  // ATen's thread count goes to libgomp as OMP_NUM_THREADS before libtorch loads rather than through
  // at::set_num_threads: once that has been called, each thread's first ATen op calls it again, and every call
  // rebuilds libtorch's pthreadpool, whose fresh worker then spins ~30 ms on a core. Three such rebuilds (the main
  // thread, then each OpenMP worker at its first op) fell inside the first covtype MLP fit of a process.
  process.env.OMP_NUM_THREADS = String(defaultNumThreads());
  return { addon: createRequire(import.meta.url)(found) as NativeAddon, path: found };
}

/** More threads than this is a typo, not a machine (libgomp would try to start them all). */
export const MAX_THREADS = 1024;

/** ATen's intra-op threads: CFINIT_NUM_THREADS, else every core. */
export function defaultNumThreads(): number {
  const fromEnv = process.env.CFINIT_NUM_THREADS;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = /^\s*\d+\s*$/.test(fromEnv) ? Number(fromEnv) : NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) {
      throw new ConfigError(`CFINIT_NUM_THREADS must be an integer in [1, ${MAX_THREADS}], got '${fromEnv}'`);
    }
    return n;
  }
  return os.availableParallelism();
}

const loaded = load();
export const native: NativeAddon = loaded.addon;
/** The addon file loaded (its bytes are part of what a cached fit was computed with). */
export const addonPath: string = loaded.path;
