// Optimizers with PyTorch's (1.13) update rules.
import { adamwStep, noGrad, tidy, zerosLike, keep, type Tensor } from '../torch/index.ts';

export interface Optimizer {
  step(): void;
  zeroGrad(): void;
  lr: number;
}

export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

/** Decoupled weight decay Adam (Loshchilov & Hutter), defaults as torch.optim.AdamW. */
export class AdamW implements Optimizer {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  private readonly params: Tensor[];
  private expAvgs: Tensor[] | null = null;
  private expAvgSqs: Tensor[] | null = null;
  private steps = 0;

  constructor(params: readonly Tensor[], options: AdamWOptions = {}) {
    this.params = [...params];
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    this.maximize = options.maximize ?? false;
    if (!(this.lr >= 0)) throw new RangeError(`AdamW: invalid learning rate ${this.lr}`);
    if (!(this.betas[0] >= 0 && this.betas[0] < 1 && this.betas[1] >= 0 && this.betas[1] < 1)) {
      throw new RangeError(`AdamW: betas must be in [0, 1), got [${this.betas}]`);
    }
  }

  get stepCount(): number {
    return this.steps;
  }

  step(): void {
    if (!this.expAvgs || !this.expAvgSqs) {
      this.expAvgs = this.params.map((p) => keep(noGrad(() => zerosLike(p))));
      this.expAvgSqs = this.params.map((p) => keep(noGrad(() => zerosLike(p))));
    }
    this.steps += 1;
    adamwStep(this.params, this.expAvgs, this.expAvgSqs, this.steps, {
      lr: this.lr,
      beta1: this.betas[0],
      beta2: this.betas[1],
      eps: this.eps,
      weightDecay: this.weightDecay,
      maximize: this.maximize,
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Moments and step count, for checkpoints (names: expAvg.i, expAvgSq.i). */
  stateDict(): { step: number; tensors: Record<string, Tensor> } {
    const tensors: Record<string, Tensor> = {};
    this.expAvgs?.forEach((t, i) => (tensors[`expAvg.${i}`] = t));
    this.expAvgSqs?.forEach((t, i) => (tensors[`expAvgSq.${i}`] = t));
    return { step: this.steps, tensors };
  }

  loadStateDict(state: { step: number; tensors: Record<string, Tensor> }): void {
    if (state.step === 0) return;
    const pick = (prefix: string) =>
      this.params.map((p, i) => {
        const t = state.tensors[`${prefix}.${i}`];
        if (!t || t.shape.join() !== p.shape.join())
          throw new Error(`AdamW.loadStateDict: bad or missing ${prefix}.${i}`);
        return keep(t.clone());
      });
    this.expAvgs = pick('expAvg');
    this.expAvgSqs = pick('expAvgSq');
    this.steps = state.step;
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with momentum, as torch.optim.SGD. */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly params: Tensor[];
  private readonly buffers: (Tensor | null)[];

  constructor(params: readonly Tensor[], options: SGDOptions) {
    this.params = [...params];
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.buffers = this.params.map(() => null);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }

  // d = g + wd·p; buf = d (first step) or momentum·buf + (1−dampening)·d;
  // p ← p − lr·(nesterov ? d + momentum·buf : buf)
  step(): void {
    tidy(() =>
      noGrad(() => {
        this.params.forEach((p, i) => {
          const g = p.grad;
          if (!g) return;
          let d = this.weightDecay !== 0 ? g.add(p, this.weightDecay) : g;
          if (this.momentum !== 0) {
            let buf = this.buffers[i];
            if (!buf) {
              buf = keep(d.clone().detach());
              this.buffers[i] = buf;
            } else {
              buf.mul_(this.momentum).add_(d, 1 - this.dampening);
            }
            d = this.nesterov ? d.add(buf, this.momentum) : buf;
          }
          p.add_(d, -this.lr);
        });
      }),
    );
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}
