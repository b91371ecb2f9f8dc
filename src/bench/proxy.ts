// The FLOPs proxy at a scenario's registered sizes, before anything is loaded (job cost estimates, tests); the
// proxy itself lives on the train floor (src/train/proxy.ts).
import { ConfigError } from '../errors.ts';
import { scenarioEntry } from '../data/index.ts';
import { REFERENCE } from '../reference.ts';
import type { ProxyInput } from '../train/index.ts';
export { backpropCompute, budgets, fineTuneCompute, type Budgets, type ProxyInput } from '../train/index.ts';

/**
 * The proxy input at a scenario's registered sizes with the reference's closed-form shape, optionally with
 * another train-row count (and fit rows, default all).
 */
export function referenceProxyInput(name: string, nTrain?: number, fitRows?: number): ProxyInput {
  const entry = scenarioEntry(name);
  const sizes = entry.sizes;
  if (!sizes) throw new ConfigError(`${name}: its sizes are known only once it is loaded`);
  const n = nTrain ?? sizes.nTrain;
  return {
    architecture: entry.architecture,
    nTrain: n,
    nTest: sizes.nTest,
    classes: sizes.classes,
    tokens: sizes.tokens,
    dim: sizes.dim,
    closedForm: { heads: 0, landmarks: 0, ...REFERENCE.closedForm[entry.architecture] },
    fitRows: Math.min(fitRows ?? n, n),
    probeRows: 0,
  };
}
