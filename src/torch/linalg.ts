// Dense linear algebra (float32 and float64, batched where ATen batches). Decompositions reject
// non-finite input with a clear error instead of handing NaN/Inf to LAPACK.
import { op } from './dispatch.ts';
import { Tensor } from './tensor.ts';
import { withBlasThreads } from './threads.ts';

const aten = {
  eigh: op<[Tensor, Tensor]>('aten::linalg_eigh'),
  eigvalsh: op<Tensor>('aten::linalg_eigvalsh'),
  solve: op<Tensor>('aten::linalg_solve'),
  cholesky: op<Tensor>('aten::linalg_cholesky'),
  choleskySolve: op<Tensor>('aten::cholesky_solve'),
  inv: op<Tensor>('aten::linalg_inv'),
  slogdet: op<[Tensor, Tensor]>('aten::linalg_slogdet'),
  qr: op<[Tensor, Tensor]>('aten::linalg_qr'),
  svd: op<[Tensor, Tensor, Tensor]>('aten::linalg_svd'),
};

/** Throws unless every element is finite. */
export function assertFinite(t: Tensor, where: string): void {
  const ok = t.isfinite().all();
  const fine = ok.item() === 1;
  ok.dispose();
  if (!fine) throw new Error(`${where}: input contains NaN or Inf`);
}

function assertSquare(t: Tensor, where: string): void {
  const s = t.shape;
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) {
    throw new Error(`${where}: expected (batches of) square matrices, got shape [${s.join(', ')}]`);
  }
}

// LAPACK's eigensolver and Cholesky factorisation run on one OpenBLAS thread up to this order: their many small
// level-2 calls each wake the pool's sleeping workers. Measured on 2 cores, one thread against two: eigh 0.49 vs
// 1.7 ms at n = 54, 4.5 vs 15–24 ms at 192, 19 vs 38 ms at 384, 101 vs 139–169 ms at 768; cholesky 1.1 vs 1.6–2.4
// ms at 192. (LU solve gains from the pool from n ≈ 192 on and keeps it.)
const SERIAL_LAPACK_MAX_ORDER = 1024;

function serialLapack<T>(a: Tensor, fn: () => T): T {
  return a.size(-1) <= SERIAL_LAPACK_MAX_ORDER ? withBlasThreads(1, fn) : fn();
}

/** Symmetric eigendecomposition A = V diag(w) Vᵀ, eigenvalues ascending (reads the lower triangle). */
export function eigh(a: Tensor, uplo: 'L' | 'U' = 'L'): { eigenvalues: Tensor; eigenvectors: Tensor } {
  assertSquare(a, 'eigh');
  assertFinite(a, 'eigh');
  const [eigenvalues, eigenvectors] = serialLapack(a, () => aten.eigh(a, uplo));
  return { eigenvalues, eigenvectors };
}

export function eigvalsh(a: Tensor, uplo: 'L' | 'U' = 'L'): Tensor {
  assertSquare(a, 'eigvalsh');
  assertFinite(a, 'eigvalsh');
  return serialLapack(a, () => aten.eigvalsh(a, uplo));
}

/** X with A X = B. */
export function solve(a: Tensor, b: Tensor): Tensor {
  assertSquare(a, 'solve');
  assertFinite(a, 'solve');
  assertFinite(b, 'solve');
  return aten.solve(a, b, true);
}

/** Lower-triangular L with A = L Lᵀ (A symmetric positive definite). */
export function cholesky(a: Tensor): Tensor {
  assertSquare(a, 'cholesky');
  assertFinite(a, 'cholesky');
  return serialLapack(a, () => aten.cholesky(a, false));
}

/** X with (L Lᵀ) X = B, given the lower Cholesky factor L. */
export function choleskySolve(b: Tensor, l: Tensor): Tensor {
  assertFinite(b, 'choleskySolve');
  return aten.choleskySolve(b, l, false);
}

export function inv(a: Tensor): Tensor {
  assertSquare(a, 'inv');
  assertFinite(a, 'inv');
  return aten.inv(a);
}

/** sign and log|det| of A. */
export function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  assertSquare(a, 'slogdet');
  const [sign, logabsdet] = aten.slogdet(a);
  return { sign, logabsdet };
}

/** Reduced QR: A = Q R with Q (m, k) orthonormal columns and R (k, n) upper triangular, k = min(m, n). */
export function qr(a: Tensor): { q: Tensor; r: Tensor } {
  if (a.ndim < 2) throw new Error(`qr: expected (batches of) matrices, got shape [${a.shape.join(', ')}]`);
  assertFinite(a, 'qr');
  const [q, r] = serialLapack(a, () => aten.qr(a, 'reduced'));
  return { q, r };
}

/** Thin SVD: A = U diag(S) Vᴴ with U (m, k), S (k) descending, Vᴴ (k, n), k = min(m, n). */
export function svd(a: Tensor): { u: Tensor; s: Tensor; vh: Tensor } {
  if (a.ndim < 2) throw new Error(`svd: expected (batches of) matrices, got shape [${a.shape.join(', ')}]`);
  assertFinite(a, 'svd');
  const [u, s, vh] = serialLapack(a, () => aten.svd(a, false, null));
  return { u, s, vh };
}

/** ½(A + Aᵀ) over the last two dims. */
export function sym(a: Tensor): Tensor {
  return a.add(a.mT()).mul(0.5);
}
