import { Generator, empty, randn, tidy, releaseFreeMemory } from '../src/torch/index.ts';
import { RidgeAccumulator, attentionCompute, headContexts, spectralAttentionFit, pairedStats } from '../src/closedform/index.ts';
const [n, t, d] = process.argv[2] === 'qnli' ? [5000, 80, 64] : [8000, 16, 192];
const g = new Generator(1);
const v1 = randn([n, t, d], { generator: g }); const v2 = v1.add(randn([n, t, d], { generator: g }).mul(0.3));
const stats = pairedStats(v1, v2, { computeDtype: 'float32' });
const compute = attentionCompute(spectralAttentionFit(stats, 2, 8), 'float32');
const b = Math.floor(8192 / t);
function run(label: string, fn: (a: any, b: any) => void) {
  const t0 = performance.now();
  for (let s = 0; s < n; s += b) { const len = Math.min(b, n - s); tidy(() => fn(v1.narrow(0, s, len), v2.narrow(0, s, len))); }
  releaseFreeMemory();
  console.log(label.padEnd(30), ((performance.now() - t0) / 1000).toFixed(3), 's');
}
for (let r = 0; r < 2; r++) {
  run('contexts only', (a, c) => { headContexts(a, compute); headContexts(c, compute); });
  const ridge = new RidgeAccumulator(2, d);
  const c1 = headContexts(v1.narrow(0, 0, b), compute), c2 = headContexts(v2.narrow(0, 0, b), compute);
  run('ridge.add only (fixed ctx)', (a, c) => { ridge.add(c1, c2, v1.narrow(0, 0, b), v2.narrow(0, 0, b)); });
  run('both', (a, c) => { ridge.add(headContexts(a, compute), headContexts(c, compute), a, c); });
  run('project only', (a, c) => { a.matmul(compute.queryMap); c.matmul(compute.queryMap); });
}
