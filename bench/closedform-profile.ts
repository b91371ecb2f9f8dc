// Profile of the closed-form transformer fit at one reference shape: seconds per pass of the real fit,
// then every fused kernel of one mini-batch (both views) timed alone (median of 5), with its FLOPs,
// GFLOP/s and its count over the whole fit (depth 3, 2 heads × 8 landmarks, float32 products).
//
// Usage: npm run bench:closedform-profile -- [--shape cifar|qnli|wikitext] [--scale 1]
import { Generator, empty, fused, randn, tidy, zeros, type Tensor } from '../src/torch/index.ts';
import { DEFAULT_TRANSFORMER_CONFIG, fitTransformerEncoder } from '../src/closedform/index.ts';
import { REFERENCE } from '../src/reference.ts';
import { FIT_SHAPES } from './shapes.ts';
import { helpIfAsked } from './usage.ts';

helpIfAsked(import.meta.url); // before anything runs

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

  // one batch of B sequences of both views, each fused kernel as the fit calls it, and how often it runs
  const b = Math.max(1, Math.floor(BATCH_TOKENS / t));
  const batches = Math.ceil(n / b);
  const k = LANDMARKS;
  const bt = b * t;
  const f = HEADS * d;
  const [x1, x2] = [randn([b, t, d], { generator: g }), randn([b, t, d], { generator: g })];
  const [s1, s2] = [empty([b, t, d]), empty([b, t, d])];
  const [c1, c2] = [empty([b, t, f]), empty([b, t, f])];
  const qmap = randn([d, HEADS * k], { generator: g });
  const outputMap = randn([f, d], { generator: g }).mul(0.02);
  const ffn = randn([d, d], { generator: g }).mul(0.05);
  const gram = zeros([f, f], { dtype: 'float64' });
  const rhs = zeros([f, d], { dtype: 'float64' });
  const sums = zeros([d, d], { dtype: 'float64' });
  const shift = zeros([1, d]);
  const flat = (x: Tensor, w: number) => x.view(-1, w);
  // FLOPs of the contexts of both views: projection, q qᵀ and A_h X per head
  const contextFlops = 2 * (2 * bt * d * HEADS * k + HEADS * (2 * bt * t * k + 2 * bt * t * d));
  const rows: { product: string; flops: number; count: number; fn: () => unknown }[] = [
    {
      product: 'stats: S, D of the views (one pass)',
      flops: 0,
      count: 2 * DEPTH,
      fn: () => fused.sumAndDifference(x1, x2, shift, s1, s2),
    },
    {
      product: 'stats: SᵀS, DᵀD (2 syrk, n = d)',
      flops: 2 * bt * d * d,
      count: 2 * DEPTH,
      fn: () => fused.symmetricRankUpdates_([sums, sums], [flat(s1, d), flat(s2, d)], [1, 1]),
    },
    {
      product: 'ridge: contexts, both views',
      flops: contextFlops,
      count: DEPTH,
      fn: () => fused.spectralContexts([x1, x2], qmap, HEADS, [c1, c2]),
    },
    {
      product: 'ridge: S, D of contexts; Y, E of views',
      flops: 0,
      count: DEPTH,
      fn: () => {
        fused.sumAndDifference(flat(c1, f), flat(c2, f), null, flat(c1, f), flat(c2, f));
        fused.sumAndDifference(x1, x2, null, s1, s2);
      },
    },
    {
      product: 'ridge: G += ½(SᵀS + DᵀD) (2 syrk, n = H·d)',
      flops: 2 * bt * f * f,
      count: DEPTH,
      fn: () => fused.symmetricRankUpdates_([gram, gram], [flat(c1, f), flat(c2, f)], [0.5, 0.5]),
    },
    {
      product: 'ridge: R += SᵀY, K −= DᵀE (2 gemm)',
      flops: 2 * 2 * bt * f * d,
      count: DEPTH,
      fn: () =>
        fused.transposedProductUpdates_([rhs, rhs], [flat(c1, f), flat(c2, f)], [flat(s1, d), flat(s2, d)], [1, 1]),
    },
    {
      product: 'attention sublayer, both views (ctx, gemm, LN)',
      flops: contextFlops + 2 * 2 * bt * f * d,
      count: DEPTH,
      fn: () => fused.attentionSublayers_([s1, s2], [c1, c2], qmap, HEADS, outputMap, 0.5),
    },
    {
      product: 'ffn sublayer, both views (gemm, relu, LN)',
      flops: 2 * 2 * bt * d * d,
      count: DEPTH,
      fn: () => fused.ffnSublayers_([s1, s2], ffn),
    },
  ];
  console.log(`per batch of ${b} sequences (${bt} tokens), ${batches} batches per pass:`);
  console.log('kernel                                           GFLOP/batch  ms/batch   GFLOP/s   fit total s');
  let sum = 0;
  for (const row of rows) {
    const s = timeIt(() => {
      row.fn();
    });
    const fitSeconds = s * row.count * batches;
    sum += fitSeconds;
    const rate = row.flops ? (row.flops / s / 1e9).toFixed(1) : '-';
    console.log(
      `${row.product.padEnd(48)} ${(row.flops / 1e9).toFixed(3).padStart(11)} ` +
        `${(s * 1e3).toFixed(2).padStart(9)} ${rate.padStart(9)} ${fitSeconds.toFixed(2).padStart(12)}`,
    );
  }
  console.log(`sum of kernels over the fit: ${sum.toFixed(2)} s (fit measured ${total.toFixed(2)} s)`);
}

main();
