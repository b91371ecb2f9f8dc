// Results with more models than the reference's four: copies of the fixture's closed-form models under other
// names (initializers, a fit-fraction variant), their metrics shifted, so the report meets ~10 models.
import type { Results } from '../../src/bench/results.ts';

/** name → [copied model, shift of the primary metric (accuracy units; ×10 for cross-entropy)] */
export const EXTRA_MODELS: Record<string, [string, number]> = {
  orthogonal: ['backprop', -0.01],
  lsuv: ['backprop', 0.004],
  mimetic: ['backprop', -0.02],
  zca: ['backprop', -0.03],
  'zero-residual': ['backprop', 0.008],
  'cf-ce-head@0.0625': ['cf-ce-head', -0.015],
};

/** The fixture plus EXTRA_MODELS in every table (a copy; the input is not changed). */
export function manyModels(results: Results, extra = EXTRA_MODELS): Results {
  const out = structuredClone(results) as unknown as Record<string, unknown[]>;
  for (const [table, rows] of Object.entries(out)) {
    if (!Array.isArray(rows) || rows.length === 0 || typeof (rows[0] as { model?: unknown }).model !== 'string')
      continue;
    const added: unknown[] = [];
    for (const [name, [source, shift]] of Object.entries(extra)) {
      for (const row of rows as Record<string, any>[]) {
        if (row.model !== source) continue;
        const copy = structuredClone(row);
        copy.model = name;
        const ce = copy.metric_name === 'validation_cross_entropy';
        const d = ce ? -10 * shift : shift;
        for (const key of ['metric', 'mean_metric', 'metric_value', 'metric_mean', 'in_distribution_value']) {
          if (typeof copy[key] === 'number') copy[key] += d;
          else if (copy[key] && typeof copy[key].mean === 'number') copy[key].mean += d;
        }
        if (copy.in_distribution) copy.in_distribution.mean += d;
        if ('published' in copy) copy.published = null;
        added.push(copy);
      }
    }
    rows.push(...added);
  }
  (out.metadata as unknown as Results['metadata']).models.push(...(Object.keys(extra) as string[]));
  return out as unknown as Results;
}
