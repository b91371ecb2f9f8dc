import { Generator, randn, tidy, linalg } from '../src/torch/index.ts';
import { fitLayer, jointNormalize } from '../src/closedform/index.ts';
import { checkFitInputs } from '../src/closedform/validate.ts';
const g = new Generator(1);
const base = randn([12000, 54], { generator: g, dtype: 'float64' });
const v1 = base.add(randn([12000, 54], { generator: g, dtype: 'float64' }).mul(0.3));
const v2 = base.add(randn([12000, 54], { generator: g, dtype: 'float64' }).mul(0.3));
const s = randn([54, 54], { generator: g, dtype: 'float64' }); const sym = s.mm(s.t());
function t(label: string, fn: () => unknown) {
  const ts: number[] = [];
  for (let r = 0; r < 7; r++) { const a = performance.now(); tidy(fn); ts.push(performance.now() - a); }
  console.log(label.padEnd(24), ts.sort((a, b) => a - b)[3].toFixed(2), 'ms');
}
t('checkFitInputs', () => checkFitInputs({ base, view1: v1, view2: v2 }, 'x', { computeDtype: 'float64' }));
t('jointNormalize', () => jointNormalize([base, v1, v2]));
t('fitLayer', () => fitLayer(v1, v2, 1));
t('eigh 54', () => linalg.eigh(sym));
t('mm+relu x3', () => [base, v1, v2].map((x) => x.mm(sym).relu()));
t('gram 12000x54', () => v1.t().mm(v1));
t('add', () => v1.add(v2));
