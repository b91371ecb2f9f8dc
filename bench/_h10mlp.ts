import { Generator, randn } from '../src/torch/index.ts';
import { fitMlpEncoder } from '../src/closedform/index.ts';
const g = new Generator(1);
const base = randn([12000, 54], { generator: g, dtype: 'float64' });
const v1 = base.add(randn([12000, 54], { generator: g, dtype: 'float64' }).mul(0.3));
const v2 = base.add(randn([12000, 54], { generator: g, dtype: 'float64' }).mul(0.3));
fitMlpEncoder({ base: base.narrow(0, 0, 200), view1: v1.narrow(0, 0, 200), view2: v2.narrow(0, 0, 200) });
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  fitMlpEncoder({ base, view1: v1, view2: v2 });
  console.log(((performance.now() - t0)).toFixed(1), 'ms');
}
