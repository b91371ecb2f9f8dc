// Profile of the closed-form transformer fit at one reference shape: seconds per pass of the real fit,
// then every token product of one mini-batch timed alone (median of 5), with its FLOPs and GFLOP/s
// and its count over the whole fit (depth 3, 2 heads × 8 landmarks, float32 products).
//
//   node --import tsx bench/closedform-profile.ts [--shape cifar|qnli|wikitext] [--scale 1]
import { F, Generator, empty, randn, tidy, type Tensor } from '../src/torch/index.ts';
import { DEFAULT_TRANSFORMER_CONFIG, fitTransformerEncoder } from '../src/closedform/index.ts';
import { REFERENCE } from '../src/reference.ts';
import { FIT_SHAPES } from './shapes.ts';

const SHAPES: Record<string, { n: number; t: number; d: number }> = FIT_SHAPES;
const { depth: DEPTH, heads: HEADS, landmarks: LANDMARKS } = REFERENCE.closedForm.transformer;
const BATCH_TOKENS = DEFAULT_TRANSFORMER_CONFIG.batchTokens;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function timeIt(fn: () => void, repeats = 5): number {
  tidy(fn);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    tidy(fn);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[repeats >> 1];
}

function main(): void {
  const name = arg('shape', 'cifar');
  const base = SHAPES[name];
  if (!base) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}, got '${name}'`);
  const { t, d } = base;
  const n = Math.max(1, Math.round(base.n * Number(arg('scale', '1'))));
  const g = new Generator(1);
  const views = [empty([n, t, d]), empty([n, t, d])];
  for (let s = 0; s < n; s += 256) {
    const len = Math.min(256, n - s);
    tidy(() => {
      const b = randn([len, t, d], { generator: g });
      for (const v of views) v.narrow(0, s, len).copy_(b.add(randn([len, t, d], { generator: g }).mul(0.3)));
    });
  }
  const profile: Record<string, number> = {};
  const t0 = performance.now();
  fitTransformerEncoder(
    { view1: views[0], view2: views[1] },
    { depth: DEPTH, heads: HEADS, landmarks: LANDMARKS, inPlace: true, profile },
  );
  const total = (performance.now() - t0) / 1000;
  console.log(`${name} ${n}×${t}×${d}: fit ${total.toFixed(2)} s (no base stream)`);
  for (const [pass, s] of Object.entries(profile)) console.log(`  pass ${pass.padEnd(34)} ${s.toFixed(2)} s`);

  // one batch of B sequences, and how often each product runs over the fit (both views, all layers)
  const b = Math.max(1, Math.floor(BATCH_TOKENS / t));
  const batches = Math.ceil(n / b);
  const hd = LANDMARKS;
  const bt = b * t;
  const x = randn([b, t, d], { generator: g });
  const flat = x.reshape(bt, d);
  const w = randn([d, d], { generator: g });
  const qmap = randn([d, HEADS * hd], { generator: g });
  const q = randn([b, t, hd], { generator: g });
  const attn = F.softmax(q.bmm(q.mT()), -1);
  const perView = 2 * DEPTH; // once per view and layer
  const perHead = HEADS * 2 * DEPTH; // once per head, view and layer
  const rows: { product: string; flops: number; count: number; fn: () => unknown }[] = [
    {
      product: 'stats Gram (BT×d)ᵀ(BT×d)',
      flops: 2 * bt * d * d,
      count: 2 * DEPTH,
      fn: () => flat.t().mm(flat).double(),
    },
    {
      product: 'project X Q (BT×d)(d×r)',
      flops: 2 * bt * d * HEADS * hd,
      count: 2 * perView,
      fn: () => x.matmul(qmap),
    },
    { product: 'scores bmm (T×k)(k×T)', flops: 2 * b * t * t * hd, count: 2 * perHead, fn: () => q.bmm(q.mT()) },
    { product: 'softmax (B,T,T)', flops: 0, count: 2 * perHead, fn: () => F.softmax(attn, -1) },
    { product: 'context bmm (T×T)(T×d)', flops: 2 * b * t * t * d, count: 2 * perHead, fn: () => attn.bmm(x) },
    {
      product: 'ridge Gram block C_hᵀC_g (BT×d)ᵀ(BT×d)',
      flops: 2 * bt * d * d,
      count: HEADS * (HEADS + 1) * DEPTH,
      fn: () => flat.t().mm(flat).double(),
    },
    {
      product: 'ridge rhs/cross (C₁ ± C₂)ᵀ(Y or E)',
      flops: 2 * bt * d * d,
      count: 2 * HEADS * DEPTH,
      fn: () => flat.add(flat).t().mm(flat).double(),
    },
    { product: 'output ctx W_h (BT×d)(d×d)', flops: 2 * bt * d * d, count: perHead, fn: () => flat.mm(w) },
    { product: 'layer norm (BT×d)', flops: 0, count: 2 * perView, fn: () => F.layerNorm(x, [d], null, null, 1e-5) },
    {
      product: 'ffn X A (BT×d)(d×d) + relu + add',
      flops: 2 * bt * d * d,
      count: perView,
      fn: () => flat.add(flat.mm(w).relu()),
    },
  ];
  console.log(`per batch of ${b} sequences (${bt} tokens), ${batches} batches per pass:`);
  console.log('product                                    GFLOP/batch  ms/batch   GFLOP/s   fit total s');
  let sum = 0;
  for (const row of rows) {
    const s = timeIt(() => {
      row.fn();
    });
    const fitSeconds = s * row.count * batches;
    sum += fitSeconds;
    const rate = row.flops ? (row.flops / s / 1e9).toFixed(1) : '-';
    console.log(
      `${row.product.padEnd(42)} ${(row.flops / 1e9).toFixed(3).padStart(11)} ` +
        `${(s * 1e3).toFixed(2).padStart(9)} ${rate.padStart(9)} ${fitSeconds.toFixed(2).padStart(12)}`,
    );
  }
  console.log(`sum of products over the fit: ${sum.toFixed(2)} s (fit measured ${total.toFixed(2)} s)`);
}

main();
