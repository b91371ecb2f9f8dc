// One-off check that cfinit and the PyTorch peer compute the same training: identical weights and
// inputs (passed through safetensors) must give the same losses over a few AdamW steps. Also
// reports whether cfinit's seeded init draws the same weights as torch.manual_seed(seed).
//
//   node --import tsx bench/verify-train-step.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, randint, randn, saveSafetensorsSync, tidy, noGrad } from '../src/torch/index.ts';
import { AdamW, BaselineTransformer, baselineConfig, trainStep, type Pooling } from '../src/nn/index.ts';
import { PeerProcess } from './peer-process.ts';

const CASES: { tokens: number; dim: number; classes: number; pooling: Pooling }[] = [
  { tokens: 16, dim: 192, classes: 100, pooling: 'mean' },
  { tokens: 64, dim: 64, classes: 4096, pooling: 'last' },
];
const STEPS = 3;

const dir = mkdtempSync(join(tmpdir(), 'cfinit-verify-'));
const peer = new PeerProcess(fileURLToPath(new URL('./peer/train_step.py', import.meta.url)));
try {
  await peer.request({ cmd: 'init', threads: 1 });
  for (const [i, c] of CASES.entries()) {
    const seed = 40 + i;
    const model = new BaselineTransformer(baselineConfig(c.dim, c.classes, c.pooling), {
      generator: new Generator(seed),
    });
    const data = new Generator(1000 + i);
    const tokens = randn([32, c.tokens, c.dim], { generator: data });
    const targets = randint(0, c.classes, [32], { generator: data });
    const weights = join(dir, `weights-${i}.safetensors`);
    const inputs = join(dir, `inputs-${i}.safetensors`);
    saveSafetensorsSync(weights, model.stateDict());
    saveSafetensorsSync(inputs, { tokens, targets });

    const optimizer = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
    const ours: number[] = [];
    for (let step = 0; step < STEPS; step++) ours.push(trainStep(optimizer, () => model.loss(tokens, targets)));
    ours.push(tidy(() => noGrad(() => model.loss(tokens, targets).item())));

    const theirs = await peer.request<{ losses: number[]; init_max_abs_diff: number }>({
      cmd: 'check',
      weights,
      inputs,
      pooling: c.pooling,
      steps: STEPS,
      seed,
    });
    const worst = Math.max(...ours.map((l, k) => Math.abs(l - theirs.losses[k]!) / Math.abs(theirs.losses[k]!)));
    console.log(
      `T=${c.tokens} d=${c.dim} C=${c.classes} ${c.pooling}: losses cfinit [${ours.map((l) => l.toFixed(6))}]`,
    );
    console.log(
      `${' '.repeat(24)}PyTorch [${theirs.losses.map((l) => l.toFixed(6))}]  max rel diff ${worst.toExponential(2)}`,
    );
    console.log(
      `${' '.repeat(24)}init from seed ${seed}: max |cfinit − PyTorch| = ${theirs.init_max_abs_diff.toExponential(2)}`,
    );
  }
} finally {
  await peer.close();
  rmSync(dir, { recursive: true, force: true });
}
