import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F,
  Generator,
  cat,
  randint,
  randn,
  tidy,
  noGrad,
  serialize,
  deserialize,
  type Tensor,
} from '../../src/torch/index.ts';
import { AdamW, BaselineTransformer, baselineConfig, trainStep, type TransformerConfig } from '../../src/nn/index.ts';
import { assertClose } from '../helpers.ts';

const small = (pooling: 'mean' | 'last'): TransformerConfig => ({ ...baselineConfig(8, 3, pooling), depth: 2 });

test('forward returns one (batch, classes) logits tensor per block, with PyTorch parameter names and shapes', () => {
  tidy(() => {
    const model = new BaselineTransformer(baselineConfig(12, 5, 'mean'), { generator: new Generator(1) });
    const depthLogits = model.forward(randn([4, 6, 12], { generator: new Generator(2) }));
    assert.equal(depthLogits.length, 3);
    for (const logits of depthLogits) assert.deepEqual(logits.shape, [4, 5]);
    const shapes = Object.fromEntries(model.namedParameters().map(([name, p]) => [name, p.shape]));
    assert.deepEqual(shapes['blocks.0.self_attn.in_proj_weight'], [36, 12]);
    assert.deepEqual(shapes['blocks.0.self_attn.in_proj_bias'], [36]);
    assert.deepEqual(shapes['blocks.2.self_attn.out_proj.weight'], [12, 12]);
    assert.deepEqual(shapes['blocks.1.linear1.weight'], [24, 12]);
    assert.deepEqual(shapes['blocks.1.linear2.weight'], [12, 24]);
    assert.deepEqual(shapes['blocks.0.norm1.bias'], [12]);
    assert.deepEqual(shapes['output_heads.2.weight'], [5, 12]);
    // 3 × (attention 4d²+4d, FFN 4d²+3d, norms 4d) + 3 heads × (dC + C)
    const d = 12;
    assert.equal(model.numParameters(), 3 * (8 * d * d + 11 * d) + 3 * (d * 5 + 5));
  });
});

test('logits are cumulative over blocks: block i adds head i applied to the pooled tokens after block i', () => {
  tidy(() =>
    noGrad(() => {
      const model = new BaselineTransformer(small('last'), { generator: new Generator(3) });
      const x = randn([3, 5, 8], { generator: new Generator(4) });
      const [first, second] = model.forward(x) as [Tensor, Tensor];
      const h1 = model.blocks[0]!.forward(x);
      const h2 = model.blocks[1]!.forward(h1);
      assertClose(first, model.output_heads[0]!.forward(h1.select(1, -1)), { what: 'first logits' });
      const expected = model.output_heads[0]!.forward(h1.select(1, -1)).add(
        model.output_heads[1]!.forward(h2.select(1, -1)),
      );
      assertClose(second, expected, { rtol: 1e-5, atol: 1e-5, what: 'cumulative logits' });
    }),
  );
});

test("pooling 'last': the final block computed at the last token alone gives the full path's logits and gradients", () => {
  const model = new BaselineTransformer(
    { ...baselineConfig(16, 7, 'last'), depth: 3 },
    { generator: new Generator(9) },
  );
  const x = randn([6, 11, 16], { generator: new Generator(10) });
  const y = randint(0, 7, [6], { generator: new Generator(11) });
  // the plain path: every block on every token, heads on the last token
  const full = (): Tensor => {
    let h = x;
    let cumulative: Tensor | null = null;
    let total: Tensor | null = null;
    for (let i = 0; i < model.blocks.length; i++) {
      h = model.blocks[i]!.forward(h);
      const logits = model.output_heads[i]!.forward(h.select(1, -1));
      cumulative = cumulative ? cumulative.add(logits) : logits;
      const ce = F.crossEntropy(cumulative, y);
      total = total ? total.add(ce) : ce;
    }
    return total!.div(model.blocks.length);
  };
  const grads = (loss: () => Tensor): Tensor[] =>
    tidy(() => {
      model.zeroGrad();
      loss().backward();
      return model.parameters().map((p) => p.grad!.clone());
    });
  const fast = grads(() => model.loss(x, y));
  const plain = grads(full);
  tidy(() => noGrad(() => assertClose([model.loss(x, y).item()], [full().item()], { what: 'loss' })));
  const names = model.namedParameters().map(([name]) => name);
  assert.ok(names.includes('blocks.2.linear2.weight'));
  fast.forEach((g, i) => assertClose(g, plain[i]!, { rtol: 1e-4, atol: 1e-6, what: `grad of ${names[i]}` }));
  const lastBlock = model.blocks[2]!;
  tidy(() =>
    noGrad(() => {
      const h = model.blocks[1]!.forward(model.blocks[0]!.forward(x));
      assertClose(lastBlock.forwardLast(h), lastBlock.forward(h).narrow(1, 10, 1), { what: 'forwardLast' });
    }),
  );
});

test('an encoder layer is pre-norm attention then pre-norm GELU FFN, each residual', () => {
  tidy(() =>
    noGrad(() => {
      const model = new BaselineTransformer(small('mean'), { generator: new Generator(5) });
      const layer = model.blocks[0]!;
      const g = new Generator(6);
      const x = randn([2, 4, 8], { generator: g });
      // The attention biases start at zero; give them values so that they are exercised too.
      layer.self_attn.in_proj_bias.copy_(randn([24], { generator: g }));
      layer.self_attn.out_proj.bias!.copy_(randn([8], { generator: g }));
      // Attention written out head by head: 4 heads of width 2.
      const h = layer.norm1.forward(x);
      const [wq, wk, wv] = layer.self_attn.in_proj_weight.chunk(3, 0) as [Tensor, Tensor, Tensor];
      const [bq, bk, bv] = layer.self_attn.in_proj_bias.chunk(3, 0) as [Tensor, Tensor, Tensor];
      const q = h.matmul(wq.t()).add(bq);
      const k = h.matmul(wk.t()).add(bk);
      const v = h.matmul(wv.t()).add(bv);
      const heads: Tensor[] = [];
      for (let i = 0; i < 4; i++) {
        const [qi, ki, vi] = [q, k, v].map((t) => t.narrow(2, 2 * i, 2)) as [Tensor, Tensor, Tensor];
        const scores = qi.matmul(ki.transpose(1, 2)).div(Math.sqrt(2));
        heads.push(F.softmax(scores, -1).matmul(vi));
      }
      const attn = layer.self_attn.out_proj.forward(cat(heads, -1));
      const afterAttn = x.add(attn);
      const ffn = layer.linear2.forward(layer.linear1.forward(layer.norm2.forward(afterAttn)).gelu());
      assertClose(layer.forward(x), afterAttn.add(ffn), { rtol: 1e-4, atol: 1e-5, what: 'encoder layer' });
    }),
  );
});

test('init follows the reference: blocks start identical, attention biases zero, heads differ', () => {
  tidy(() => {
    const model = new BaselineTransformer(baselineConfig(8, 3, 'mean'), { generator: new Generator(7) });
    const state = model.stateDict();
    for (const name of ['self_attn.in_proj_weight', 'linear1.weight', 'linear2.bias', 'self_attn.out_proj.weight']) {
      assertClose(state[`blocks.2.${name}`]!, state[`blocks.0.${name}`]!, { rtol: 0, atol: 0, what: name });
    }
    assert.equal(state['blocks.0.self_attn.in_proj_bias']!.abs().sum().item(), 0);
    assert.equal(state['blocks.0.self_attn.out_proj.bias']!.abs().sum().item(), 0);
    // Xavier bound for (3d, d): √(6 / 4d)
    assert.ok(state['blocks.0.self_attn.in_proj_weight']!.abs().max().item() <= Math.sqrt(6 / 32));
    assert.ok(state['output_heads.0.weight']!.sub(state['output_heads.1.weight']!).abs().max().item() > 0);
    // Same seed, same weights.
    const again = new BaselineTransformer(baselineConfig(8, 3, 'mean'), { generator: new Generator(7) }).stateDict();
    for (const [name, value] of Object.entries(state))
      assertClose(again[name]!, value, { rtol: 0, atol: 0, what: name });
  });
});

test('loss is the mean of the per-block cross-entropies and falls over a few AdamW steps', () => {
  const g = new Generator(8);
  const model = new BaselineTransformer(small('mean'), { generator: g });
  const x = randn([16, 5, 8], { generator: g });
  const y = randint(0, 3, [16], { generator: g });
  tidy(() =>
    noGrad(() => {
      const perBlock = model.forward(x).map((logits) => tidy(() => crossEntropyOf(logits, y)));
      assertClose([model.loss(x, y).item()], [perBlock.reduce((a, b) => a + b, 0) / perBlock.length], { what: 'loss' });
    }),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < 25; step++) losses.push(trainStep(optimizer, () => model.loss(x, y)));
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss went from ${losses[0]} to ${losses.at(-1)}`);
  for (const p of model.parameters()) assert.ok(p.isfinite().all().item() === 1);
});

test('state dict survives a safetensors round trip into a fresh model and gives the same logits', () => {
  tidy(() =>
    noGrad(() => {
      const model = new BaselineTransformer(small('last'), { generator: new Generator(9) });
      const bytes = serialize(model.stateDict());
      const restored = new BaselineTransformer(small('last'), { generator: new Generator(10) });
      const x = randn([2, 5, 8], { generator: new Generator(11) });
      assert.ok(restored.forward(x)[1]!.sub(model.forward(x)[1]!).abs().max().item() > 1e-3);
      restored.loadStateDict(deserialize(bytes).tensors);
      assertClose(restored.forward(x)[1]!, model.forward(x)[1]!, { rtol: 0, atol: 0, what: 'restored logits' });
    }),
  );
});

test('baselineConfig picks 4 heads, else the first of 3, 2, 1 dividing tokenDim, as the reference', () => {
  assert.deepEqual(
    [192, 64, 9, 10, 7].map((d) => baselineConfig(d, 2, 'mean').numHeads),
    [4, 4, 3, 2, 1],
  );
  const config = baselineConfig(64, 4096, 'last');
  assert.deepEqual([config.depth, config.mlpRatio, config.pooling], [3, 2, 'last']);
});

test('bad configs and inputs are rejected with errors naming the field', () => {
  assert.throws(
    () => new BaselineTransformer({ ...baselineConfig(10, 3, 'mean'), numHeads: 4 }),
    /numHeads \(4\) must divide tokenDim \(10\)/,
  );
  assert.throws(
    () => new BaselineTransformer({ ...baselineConfig(8, 0, 'mean') }),
    /numClasses must be a positive integer/,
  );
  assert.throws(
    () => new BaselineTransformer({ ...baselineConfig(8, 3, 'max' as 'mean') }),
    /pooling must be one of mean, last, got 'max'/,
  );
  tidy(() => {
    const model = new BaselineTransformer(small('mean'), { generator: new Generator(12) });
    assert.throws(
      () => model.forward(randn([2, 5, 7], { generator: new Generator(13) })),
      /expected tokens of shape \(batch, tokens, 8\), got \[2,5,7\]/,
    );
  });
});

// −mean log softmax(logits)[y], written out.
function crossEntropyOf(logits: Tensor, targets: Tensor): number {
  return F.logSoftmax(logits, -1).gather(1, targets.unsqueeze(1)).mean().neg().item();
}
