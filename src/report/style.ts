// How the report names, orders and colours things. Every model label, colour and order the report shows comes
// through modelLabel / modelColor / modelRank / modelOrder, read from the model registry (src/train/registry.ts),
// and scenarios through scenarioTitle / scenarioRank, read from the scenario registry.
import { REFERENCE_SCENARIOS, scenarioEntry } from '../data/registry.ts';
import { BASELINE_MODEL, MODEL_NAMES, MODELS, seriesLabel } from '../train/registry.ts';
import type { FitFraction, PrimaryMetric, Results } from '../bench/results.ts';

/**
 * Ten colours for ten models, safe under colour-vision deficiency: the six Okabe–Ito hues that read on a white
 * and on a dark page (its yellow and black do not), then four picked greedily to stay ≥ 21 ΔE (CIELAB) from
 * every other under simulated deuteranopia, protanopia and tritanopia (Machado 2009; Okabe–Ito's own closest
 * pair is 15.7) with a ≥ 2.5:1 contrast on both page colours.
 */
export const PALETTE = [
  '#0072b2', // blue
  '#d55e00', // vermillion
  '#009e73', // bluish green
  '#cc79a7', // reddish purple
  '#e69f00', // orange
  '#56b4e9', // sky blue
  '#994433', // brick
  '#99aa55', // olive
  '#6644cc', // indigo
  '#336666', // slate teal
] as const;

/** Display order: the registry's. */
const MODEL_ORDER: readonly string[] = MODEL_NAMES;

/**
 * The report keys every series by one string: the model's registry name, with `@<fit fraction>` when the
 * closed-form fit used a fraction of the rows (e.g. `cf-ce-head@0.0625`); labels and colours follow from it.
 */
export function seriesKey(r: { model: string; fit_fraction?: FitFraction }): string {
  return r.fit_fraction === undefined || r.fit_fraction === 1 ? r.model : `${r.model}@${r.fit_fraction}`;
}

/** Results with every row's `model` replaced by its series key (what the figures and tables group by). */
export function bySeries(results: Results): Results {
  const out: Record<string, unknown> = {};
  for (const [table, rows] of Object.entries(results)) {
    out[table] = Array.isArray(rows)
      ? rows.map((r: { model?: string; fit_fraction?: FitFraction }) =>
          r.model === undefined ? r : { ...r, model: seriesKey(r as { model: string; fit_fraction?: FitFraction }) },
        )
      : rows;
  }
  return out as unknown as Results;
}

/**
 * A series key is a model name, with `@<fit fraction>` when a closed-form fit used a fraction of the rows
 * (`cf-ce-head@0.0625`): it keeps its model's slot, in a lighter tint.
 */
function parseKey(key: string): { model: string; fit: number | 'auto' | null } {
  const at = key.indexOf('@');
  if (at < 0) return { model: key, fit: null };
  const fit = key.slice(at + 1);
  return { model: key.slice(0, at), fit: fit === 'auto' ? 'auto' : Number(fit) };
}

/** The registry's colour of a model; a model the registry does not know (an older results file) gets a hashed slot. */
function baseColour(model: string): string {
  const known = MODELS.find((m) => m.name === model);
  if (known) return known.colour;
  let h = 0;
  for (const ch of model) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** #rrggbb mixed with white by t ∈ [0, 1]. */
function tint(hex: string, t: number): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `#${c
    .map((v) =>
      Math.round(v + (255 - v) * t)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

export { BASELINE_MODEL };
/** Whether a model is the one every other is compared with (ratios to it, "pays off" against it). */
export const isBaseline = (model: string): boolean => model === BASELINE_MODEL;

/**
 * Whether a model's first checkpoint ('init') predicts through a head no label has trained yet (a start that
 * fine-tunes or trains a head); false for an analytic head and for a model the registry does not know.
 */
export function headUntrainedAtInit(key: string): boolean {
  const spec = MODELS.find((m) => m.name === parseKey(key).model);
  return spec !== undefined && spec.protocol !== 'analytic';
}

/** Display label of a model (or series key): 'CF + CE head', 'CF + CE head (fit 1/16)'. */
export function modelLabel(key: string): string {
  const { model, fit } = parseKey(key);
  return seriesLabel(model, fit ?? 1);
}

/** The model's one colour, the same in every figure. */
export function modelColor(key: string): string {
  const { model, fit } = parseKey(key);
  const base = baseColour(model);
  return fit === null ? base : tint(base, 0.45);
}

/** Sort rank: the reference's models in order, then the known initializers, then the rest (by name, below). */
export function modelRank(key: string): number {
  const { model, fit } = parseKey(key);
  const i = MODEL_ORDER.indexOf(model);
  const fitRank = fit === null ? 0 : fit === 'auto' ? 99 : 100 - Math.min(99, Math.round(fit * 99)); // full fit first
  return (i >= 0 ? i : MODEL_ORDER.length) * 100 + fitRank;
}

/** Models sorted for display (each once). */
export function modelOrder<T extends string>(models: Iterable<T>): T[] {
  return [...new Set(models)].sort((a, b) => modelRank(a) - modelRank(b) || a.localeCompare(b));
}

/** Comparator on rows by model display order. */
export const byModel = (a: { model: string }, b: { model: string }): number =>
  modelRank(a.model) - modelRank(b.model) || a.model.localeCompare(b.model);

/** Display title of a scenario (the registry's; the name itself for one it cannot resolve). */
export function scenarioTitle(scenario: string): string {
  try {
    return scenarioEntry(scenario).title;
  } catch {
    return scenario;
  }
}

/** The scenario's dataset part of its title ('CIFAR-100'), for lists. */
export const scenarioShort = (scenario: string): string => scenarioTitle(scenario).split(' / ')[0]!;

/** Scenario order: the reference's four in their order, then the rest. */
export function scenarioRank(scenario: string): number {
  const i = REFERENCE_SCENARIOS.findIndex((e) => e.name === scenario);
  return i >= 0 ? i : REFERENCE_SCENARIOS.length;
}

/** Higher is better for accuracy, lower for cross-entropy. */
export const lowerIsBetter = (metric: PrimaryMetric): boolean => metric === 'validation_cross_entropy';

/** Axis title (lines) of a primary metric; cross-entropy axes are drawn reversed and say so. */
export function metricTitle(metric: PrimaryMetric, suffix = '', orient: 'y' | 'x' = 'y'): string[] {
  const name = metric === 'accuracy' ? 'Accuracy (fraction)' : 'Val. cross-entropy (nats)';
  const lines = suffix ? [`${name},`, suffix] : [name];
  return lowerIsBetter(metric) ? [...lines, `${orient === 'y' ? '↑' : '→'} reversed: lower is better`] : lines;
}

/** Short metric name for tables and the verdict. */
export const metricShort = (metric: PrimaryMetric): string => (metric === 'accuracy' ? 'accuracy' : 'CE');

export const COMPUTE_TITLE = 'FLOPs proxy (multiply-accumulates)';
export const SECONDS_TITLE = 'Wall-clock (s)';

/** Model order and colours as a Vega-Lite colour scale over the models drawn (and only those). */
export function modelColorScale(models: Iterable<string>): { domain: string[]; range: string[] } {
  const present = modelOrder(models);
  return { domain: present.map(modelLabel), range: present.map(modelColor) };
}

/**
 * The figures' non-data colours. The page swaps each for its DARK twin under prefers-color-scheme: dark (the
 * compiled specs hold these exact strings and no model colour is among them); SVG and PNG files stay light.
 */
export const LIGHT = {
  background: '#ffffff',
  ink: '#222222',
  muted: '#555555',
  grid: '#e8e8e8',
  frame: '#d0d0d0',
} as const;
export const DARK: Record<keyof typeof LIGHT, string> = {
  background: '#1b1d21',
  ink: '#e4e4e4',
  muted: '#b4b4b4',
  grid: '#34373d',
  frame: '#4a4e56',
};

/** `digits` significant digits; exponent form outside [1e-3, 1e5) (tables and tooltips). */
export function fmt(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

/** A primary-metric value (accuracy or nats) as the reference reports it: 4 decimals. */
export function fmtMetric(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(4);
}

/** Mean ± 95% CI of a metric; one seed has no CI. */
export const fmtMeanCi = (s: { mean: number; ci95: number; n?: number }): string =>
  s.n !== undefined && s.n < 2 ? `${fmtMetric(s.mean)} (1 seed)` : `${fmtMetric(s.mean)} ± ${fmtMetric(s.ci95)}`;

/** Seconds as `12.3 s` / `4.1 min`. */
export function fmtSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value >= 120 ? `${(value / 60).toFixed(1)} min` : `${value.toPrecision(3)} s`;
}
