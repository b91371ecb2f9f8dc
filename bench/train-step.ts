// One training step of the reference baseline transformer (forward, backward, AdamW step, zero
// grads) at batch 128 on random inputs, timed in cfinit and in the PyTorch peer
// (bench/peer/train_step.py) with the same thread count, interleaved round by round.
//
// Usage: npm run bench:train-step -- [--rounds 7] [--steps 5] [--warmup 3] [--phases]
//
// --phases first prints cfinit's CPU ms per phase of the step (forward, backward, optimizer).
//
// Prints the median ms/step of each side and the ratio PyTorch/cfinit (> 1: cfinit is faster),
// in wall time and in process CPU time (all threads; the steadier measure on a loaded machine,
// where wall time also counts waiting for a core), and matmul GFLOP/s at 1024² float32. The machine is shared,
// so each round alternates which side runs first and the report uses medians over all timed steps. Idle worker
// threads sleep on both sides: cfinit defaults OMP_WAIT_POLICY to PASSIVE and OPENBLAS_THREAD_TIMEOUT to 4 as it
// loads libtorch (src/torch/native.ts), and the peer, spawned afterwards, inherits that environment.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Generator, getNumThreads, randint, randn, tidy, type Tensor } from '../src/torch/index.ts';
import { AdamW, BaselineTransformer, baselineConfig, type Pooling } from '../src/nn/index.ts';
import { REFERENCE, SCENARIO_SHAPES } from '../src/reference.ts';
import { PeerProcess } from './peer-process.ts';
import { helpIfAsked } from './usage.ts';

helpIfAsked(import.meta.url); // before anything runs

interface Timings {
  ms: number[];
  cpuMs: number[];
}
interface Shape {
  name: string;
  tokens: number;
  dim: number;
  classes: number;
  pooling: Pooling;
}

const { batch: BATCH, lr: LR, weightDecay: WEIGHT_DECAY } = REFERENCE.transformer;
/** The three transformer scenarios' token shapes. */
const SHAPES: Shape[] = (['cifar100_transformer', 'qnli_transformer', 'wikitext2_next_token_transformer'] as const).map(
  (scenario) => {
    const { tokens, dim, classes, pooling } = SCENARIO_SHAPES[scenario];
    return { name: `T=${tokens} d=${dim} C=${classes} ${pooling}`, tokens, dim, classes, pooling };
  },
);

class Workload {
  private readonly model: BaselineTransformer;
  private readonly optimizer: AdamW;
  private readonly x: Tensor;
  private readonly y: Tensor;

  constructor(shape: Shape, seed: number) {
    const g = new Generator(seed);
    this.model = new BaselineTransformer(baselineConfig(shape.dim, shape.classes, shape.pooling), { generator: g });
    this.optimizer = new AdamW(this.model.parameters(), { lr: LR, weightDecay: WEIGHT_DECAY });
    this.x = randn([BATCH, shape.tokens, shape.dim], { generator: g });
    this.y = randint(0, shape.classes, [BATCH], { generator: g });
  }

  step(): void {
    this.optimizer.zeroGrad();
    tidy(() => this.model.loss(this.x, this.y).backward());
    this.optimizer.step();
  }

  /** Median CPU ms (all threads) of forward, backward and optimizer step over `steps` steps. */
  phases(steps: number): [number, number, number] {
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e3;
    };
    const forward: number[] = [],
      backward: number[] = [],
      optimizer: number[] = [];
    for (let i = 0; i < steps; i++) {
      this.optimizer.zeroGrad();
      tidy(() => {
        const t0 = cpuMs();
        const loss = this.model.loss(this.x, this.y);
        const t1 = cpuMs();
        loss.backward();
        forward.push(t1 - t0);
        backward.push(cpuMs() - t1);
      });
      const t2 = cpuMs();
      this.optimizer.step();
      optimizer.push(cpuMs() - t2);
    }
    return [median(forward), median(backward), median(optimizer)];
  }

  timeSteps(steps: number): Timings {
    const timings: Timings = { ms: [], cpuMs: [] };
    for (let i = 0; i < steps; i++) {
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      this.step();
      timings.ms.push(Number(process.hrtime.bigint() - start) / 1e6);
      const used = process.cpuUsage(cpu);
      timings.cpuMs.push((used.user + used.system) / 1e3);
    }
    return timings;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function matmulGflops(n: number, reps: number): number {
  return tidy(() => {
    const g = new Generator(1);
    const a = randn([n, n], { generator: g });
    const b = randn([n, n], { generator: g });
    a.mm(b).dispose();
    const start = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) a.mm(b).dispose();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return (2 * n ** 3 * reps) / seconds / 1e9;
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      steps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      phases: { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  for (const [name, v] of [
    ['rounds', rounds],
    ['steps', steps],
    ['warmup', warmup],
  ] as const) {
    const min = name === 'warmup' ? 0 : 1;
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`--${name} must be an integer ≥ ${min}, got '${values[name]}'`);
  }
  const threads = getNumThreads();
  const peer = new PeerProcess(fileURLToPath(new URL('./peer/train_step.py', import.meta.url)));
  try {
    const info = await peer.request<{ torch: string; threads: number }>({ cmd: 'init', threads });
    console.log(
      `threads: cfinit ${threads}, PyTorch ${info.threads} (torch ${info.torch}); ` +
        `OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY}; batch ${BATCH}; ` +
        `${rounds} rounds × ${steps} steps after ${warmup} warm-up steps; medians over all timed steps`,
    );

    const ours = SHAPES.map((shape, i) => new Workload(shape, 100 + i));
    for (const [i, shape] of SHAPES.entries()) {
      await peer.request({
        cmd: 'setup',
        name: shape.name,
        batch: BATCH,
        tokens: shape.tokens,
        dim: shape.dim,
        classes: shape.classes,
        pooling: shape.pooling,
        seed: 100 + i,
      });
    }
    for (const [i, shape] of SHAPES.entries()) {
      ours[i]!.timeSteps(warmup);
      await peer.request({ cmd: 'time', name: shape.name, steps: warmup });
    }

    const empty = (): Timings => ({ ms: [], cpuMs: [] });
    if (values.phases) {
      console.log('\ncfinit CPU ms per phase (median of 7 steps): forward  backward  optimizer');
      for (const [i, shape] of SHAPES.entries()) {
        const [f, b, o] = ours[i]!.phases(7).map((v) => v.toFixed(1).padStart(9));
        console.log(`${shape.name.padEnd(26)} ${' '.repeat(16)}${f} ${b} ${o}`);
      }
    }

    const timed = SHAPES.map(() => ({ cfinit: empty(), torch: empty() }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, shape] of SHAPES.entries()) {
        const runOurs = () => {
          const t = ours[i]!.timeSteps(steps);
          timed[i]!.cfinit.ms.push(...t.ms);
          timed[i]!.cfinit.cpuMs.push(...t.cpuMs);
        };
        const runPeer = async () => {
          const t = await peer.request<{ ms: number[]; cpu_ms: number[] }>({ cmd: 'time', name: shape.name, steps });
          timed[i]!.torch.ms.push(...t.ms);
          timed[i]!.torch.cpuMs.push(...t.cpu_ms);
        };
        if (round % 2 === 0) {
          runOurs();
          await runPeer();
        } else {
          await runPeer();
          runOurs();
        }
      }
    }

    console.log('\n                           wall ms/step                     CPU ms/step (all threads)');
    console.log('shape                      cfinit  PyTorch  PyTorch/cfinit  cfinit  PyTorch  PyTorch/cfinit');
    for (const [i, shape] of SHAPES.entries()) {
      const { cfinit, torch } = timed[i]!;
      const cols = [median(cfinit.ms), median(torch.ms), median(cfinit.cpuMs), median(torch.cpuMs)];
      const [cw, tw, cc, tc] = cols.map((v) => v.toFixed(1));
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2).padStart(14)}x`;
      console.log(
        `${shape.name.padEnd(26)} ${cw!.padStart(6)} ${tw!.padStart(8)} ${ratio(cols[1]!, cols[0]!)} ` +
          `${cc!.padStart(7)} ${tc!.padStart(8)} ${ratio(cols[3]!, cols[2]!)}`,
      );
    }

    const mmOurs: number[] = [];
    const mmPeer: number[] = [];
    for (let round = 0; round < 5; round++) {
      mmOurs.push(matmulGflops(1024, 10));
      mmPeer.push((await peer.request<{ gflops: number }>({ cmd: 'matmul', n: 1024, reps: 10 })).gflops);
    }
    console.log(
      `\nmatmul 1024² float32 GFLOP/s (median of 5 × 10): cfinit ${median(mmOurs).toFixed(1)}, PyTorch ${median(mmPeer).toFixed(1)}`,
    );
  } finally {
    await peer.close();
  }
}

await main().catch((err: unknown) => {
  console.error(`bench/train-step: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
