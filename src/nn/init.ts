// In-place weight initialisation on existing tensors, as torch.nn.init: each function fills its tensor without
// gradient tracking, draws only from the given generator (the global one when absent) and returns the tensor.
// Fan-in and fan-out follow PyTorch: a 2-D weight (out, in) has fanIn = in, fanOut = out; higher ranks
// multiply in the receptive field (dims from 2 on).
import { linalg, noGrad, randn, tidy, type Generator, type Tensor } from '../torch/index.ts';

/** torch.nn.init._calculate_fan_in_and_fan_out. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor of rank ≥ 2, got shape [${t.shape}]`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.size(1) * receptive, fanOut: t.size(0) * receptive };
}

/** torch.nn.init.calculate_gain: linear/identity/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1 + a²)). */
export function gain(
  nonlinearity: 'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu',
  a = 0.01,
): number {
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + a * a));
    default:
      return 1;
  }
}

/** U(low, high) in place. */
export function uniform_(t: Tensor, low: number, high: number, generator?: Generator): Tensor {
  noGrad(() => t.uniform_(low, high, generator));
  return t;
}

/** N(mean, std²) in place. */
export function normal_(t: Tensor, mean: number, std: number, generator?: Generator): Tensor {
  noGrad(() => t.normal_(mean, std, generator));
  return t;
}

export function zeros_(t: Tensor): Tensor {
  noGrad(() => t.zero_());
  return t;
}

export function ones_(t: Tensor): Tensor {
  noGrad(() => t.fill_(1));
  return t;
}

/** nn.Linear's default: kaiming_uniform(a = √5) on the weight, i.e. U(±1/√fanIn); its bias U(±1/√fanIn) too. */
export function linearDefaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** Kaiming/He uniform (fan-in mode): U(±√3 · gain / √fanIn) with gain = √(2/(1 + a²)) (a = 0: ReLU). */
export function kaimingUniform_(t: Tensor, options: { a?: number; generator?: Generator } = {}): Tensor {
  const { fanIn } = fans(t);
  const bound = Math.sqrt(3) * (gain('leaky_relu', options.a ?? 0) / Math.sqrt(fanIn));
  return uniform_(t, -bound, bound, options.generator);
}

/** Xavier/Glorot uniform: U(±gain · √(6 / (fanIn + fanOut))). */
export function xavierUniform_(t: Tensor, options: { gain?: number; generator?: Generator } = {}): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, options.generator);
}

/**
 * torch.nn.init.orthogonal_: the (rows, cols) flattening of t set to Q of the QR decomposition of a
 * standard Gaussian (transposed first when rows < cols), columns sign-corrected by sign(diag R) so Q is
 * Haar-distributed, times gain. rows ≥ cols gives QᵀQ = gain²·I, rows < cols gives Q Qᵀ = gain²·I.
 */
export function orthogonal_(t: Tensor, options: { gain?: number; generator?: Generator } = {}): Tensor {
  if (t.ndim < 2) throw new Error(`orthogonal_: needs a tensor of rank ≥ 2, got shape [${t.shape}]`);
  const rows = t.size(0);
  const cols = t.numel() / rows;
  noGrad(() =>
    tidy(() => {
      const g = randn(rows < cols ? [cols, rows] : [rows, cols], { generator: options.generator, dtype: 'float64' });
      const { q, r } = linalg.qr(g); // (max, min), (min, min)
      const signs = r.diagonal(0, -2, -1).sign().unsqueeze(0); // (1, min)
      const fixed = q.mul(signs).mul(options.gain ?? 1);
      t.view(rows, cols).copy_(rows < cols ? fixed.t() : fixed);
    }),
  );
  return t;
}

/**
 * LSUV's per-layer loop (Mishkin & Matas 2016, Algorithm 1): while |Var(B) − 1| ≥ tolerance and fewer than
 * maxIterations passes, B = output() on the fixed batch, W ← W / √Var(B), Var over every element of B. Returns
 * the forward passes taken and the variance of the last one. A non-finite or zero variance is an error.
 */
export function unitVariance_(
  weight: Tensor,
  output: () => Tensor,
  options: { tolerance: number; maxIterations: number; where: string },
): { passes: number; variance: number } {
  let passes = 0;
  let variance = NaN;
  while (passes < options.maxIterations) {
    variance = noGrad(() => tidy(() => output().var(undefined, { unbiased: false }).item()));
    passes++;
    if (!Number.isFinite(variance) || variance <= 0) {
      throw new Error(`LSUV: ${options.where} has output variance ${variance} on its batch`);
    }
    if (Math.abs(variance - 1) < options.tolerance) break;
    noGrad(() => weight.div_(Math.sqrt(variance)));
  }
  return { passes, variance };
}

/**
 * L, R with L Rᵀ the best rank-`rank` approximation of the square m (its truncated SVD U S Vᵀ, balanced:
 * L = U_k √S_k, R = V_k √S_k, both (n, rank)); rank n gives L Rᵀ = m.
 */
export function balancedFactors(m: Tensor, rank: number): { left: Tensor; right: Tensor } {
  return tidy(() => {
    const { u, s, vh } = linalg.svd(m);
    const root = s.narrow(0, 0, rank).sqrt().unsqueeze(0); // (1, rank)
    return { left: u.narrow(1, 0, rank).mul(root), right: vh.narrow(0, 0, rank).t().mul(root) };
  });
}
