// Vega-Lite specs of the report's five figures. Each figure is one row per scenario (vconcat) of one or two
// panels (hconcat), so every scenario gets its own y scale: cross-entropy rows are reversed (lower is better).
// Colours are fixed per model (style.ts); every mark carries a tooltip.
import { REFERENCE } from '../reference.ts';
import type { Results } from '../bench/results.ts';
import {
  anytimePoints,
  lowDataPoints,
  modelsOf,
  oodPoints,
  paretoPoints,
  scenariosOf,
  transferPoints,
  type ScenarioInfo,
} from './data.ts';
import { COMPUTE_TITLE, SECONDS_TITLE, lowerIsBetter, metricTitle, modelColorScale } from './style.ts';

export type Json = Record<string, unknown>;

export interface FigureSpec {
  /** File stem: figures/<name>.svg / .png. */
  name: 'anytime' | 'pareto' | 'low_data' | 'ood' | 'transfer';
  title: string;
  caption: string;
  spec: Json;
}

/** Panel size in CSS pixels (the figure adds axes, titles and the legend around them). */
export const PANEL = { width: 330, height: 180 };
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const TOOLTIP: Json[] = [
  { field: 'scenario', title: 'scenario' },
  { field: 'model', title: 'model' },
  { field: 'seeds', title: 'seeds' },
  { field: 'checkpoint', title: 'checkpoint' },
  { field: 'shown', title: 'value (mean ± 95% CI)' },
  { field: 'compute_text', title: 'compute (MACs)' },
  { field: 'seconds_text', title: 'seconds' },
];

function color(results: Results): Json {
  return { field: 'model', type: 'nominal', title: 'model', scale: modelColorScale(modelsOf(results)) };
}

/** Bands and whiskers colour through fill/stroke; vega-lite merges them into the one model legend. */
function unlisted(results: Results, channel: 'fill' | 'stroke'): Json {
  return { [channel]: color(results) };
}

function yAxis(s: ScenarioInfo, suffix = ''): Json {
  return {
    type: 'quantitative',
    title: metricTitle(s.metric, suffix),
    scale: { zero: false, reverse: lowerIsBetter(s.metric), nice: true },
  };
}

const xCompute = (field: string, title = COMPUTE_TITLE): Json => ({
  field,
  type: 'quantitative',
  title,
  scale: { zero: true, nice: true },
  axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')", tickCount: 6 },
});
const xSeconds = (field: string, title = SECONDS_TITLE): Json => ({
  field,
  type: 'quantitative',
  title,
  scale: { zero: true, nice: true },
  axis: { tickCount: 8 },
});

function figure(results: Results, title: string, subtitle: string, rows: Json[]): Json {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555' },
    vconcat: rows,
    spacing: 28,
    resolve: { scale: { color: 'shared' } },
    config: {
      font: FONT,
      background: 'white',
      padding: 12,
      view: { stroke: '#ddd' },
      axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', grid: true, gridColor: '#eee' },
      legend: {
        orient: 'top',
        labelFontSize: 11,
        titleFontSize: 11,
        symbolStrokeWidth: 2,
        symbolOpacity: 1,
        symbolType: 'circle',
        symbolSize: 90,
      },
      title: { fontSize: 12, fontWeight: 'bold', anchor: 'start' },
      concat: { spacing: 36 },
    },
    usermeta: { models: modelsOf(results) },
  };
}

/** Two panels side by side: compute on the left, wall-clock on the right. */
function pair(left: Json, right: Json): Json {
  return { hconcat: [left, right] };
}

function panel(title: string, values: object[], layer: Json[]): Json {
  return { title, width: PANEL.width, height: PANEL.height, data: { values }, layer };
}

/** Line through the mean, 95% CI band, and a point per checkpoint with the tooltip. */
function curveLayers(results: Results, s: ScenarioInfo, x: Json): Json[] {
  return [
    {
      mark: { type: 'area', opacity: 0.16 },
      encoding: { x, y: { field: 'lo', ...yAxis(s) }, y2: { field: 'hi' }, ...unlisted(results, 'fill') },
    },
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: { x, y: { field: 'value', ...yAxis(s) }, color: color(results), order: { field: 'order' } },
    },
    {
      mark: { type: 'point', filled: true, size: 36, opacity: 1 },
      encoding: { x, y: { field: 'value', ...yAxis(s) }, color: color(results), tooltip: TOOLTIP },
    },
  ];
}

export function anytimeSpec(results: Results): FigureSpec {
  const rows = scenariosOf(results).map((s) => {
    const values = anytimePoints(results, s.scenario).map((p, order) => ({ ...p, order }));
    return pair(
      panel(`${s.title}: against compute`, values, curveLayers(results, s, xCompute('compute'))),
      panel(`${s.title}: against wall-clock`, values, curveLayers(results, s, xSeconds('seconds'))),
    );
  });
  return {
    name: 'anytime',
    title: 'Anytime quality',
    caption:
      'Mean primary metric over seeds at each budget checkpoint (band: 95% CI). Closed-form models start at ' +
      'their fit cost; the closed-form ridge is a single point (no gradient steps).',
    spec: figure(
      results,
      'Anytime: quality against compute and wall-clock',
      'mean over seeds, band = 95% CI; closed-form starts begin at their fit cost',
      rows,
    ),
  };
}

export function paretoSpec(results: Results): FigureSpec {
  const rows = scenariosOf(results).map((s) => {
    const side = (axis: 'compute' | 'wall_clock'): Json => {
      const values = paretoPoints(results, s.scenario, axis);
      const x = axis === 'compute' ? xCompute('x') : xSeconds('x');
      const y = { field: 'value', ...yAxis(s) };
      return panel(`${s.title}: ${axis === 'compute' ? 'compute' : 'wall-clock'} front`, values, [
        {
          transform: [{ filter: 'datum.front' }],
          mark: { type: 'line', interpolate: 'step-after', color: 'black', strokeWidth: 1.5, opacity: 0.75 },
          encoding: { x, y },
        },
        {
          mark: { type: 'point', filled: true, size: 40, opacity: 0.9 },
          encoding: { x, y, color: color(results), tooltip: TOOLTIP },
        },
        // Labels on the front and on each model's final point only: the early checkpoints of closed-form
        // models crowd at their fit cost (every point's checkpoint is in its tooltip).
        {
          transform: [{ filter: 'datum.front || datum.last' }],
          mark: { type: 'text', dx: 4, dy: -7, align: 'left', fontSize: 9, opacity: 0.9 },
          encoding: { x, y, text: { field: 'checkpoint' }, color: color(results) },
        },
      ]);
    };
    return pair(side('compute'), side('wall_clock'));
  });
  return {
    name: 'pareto',
    title: 'Pareto fronts',
    caption:
      "Every (model, checkpoint) mean point; points on the front and each model's final point are labelled " +
      'by checkpoint (hover any point for its own). The black step line is the front: points no other point beats ' +
      'on both cost and quality.',
    spec: figure(
      results,
      'Pareto: quality against cost, labelled by checkpoint',
      'black step line = Pareto front (no other point is both cheaper and better)',
      rows,
    ),
  };
}

export function lowDataSpec(results: Results): FigureSpec {
  const fractions = [...new Set([...results.low_data_summary.map((r) => r.data_fraction), 1])].sort((a, b) => a - b);
  const budgets = results.metadata.fractions?.low_data_checkpoints ?? [...REFERENCE.regimes.lowDataCheckpoints];
  const x: Json = {
    field: 'fraction',
    type: 'quantitative',
    title: 'Train-data fraction (log scale)',
    scale: { type: 'log', domain: [fractions[0], 1] },
    axis: { values: fractions, format: '~%' },
  };
  const rows = scenariosOf(results).map((s) => ({
    hconcat: budgets.map((budget) => {
      const values = lowDataPoints(results, s.scenario, budget).map((p, order) => ({ ...p, order }));
      return panel(`${s.title}: at ${Math.round(budget * 100)}% of the step budget`, values, [
        {
          mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.6 },
          encoding: { x, y: { field: 'lo', ...yAxis(s) }, y2: { field: 'hi' }, ...unlisted(results, 'stroke') },
        },
        {
          mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 36 } },
          encoding: {
            x,
            y: { field: 'value', ...yAxis(s) },
            color: color(results),
            order: { field: 'order' },
            tooltip: [...TOOLTIP, { field: 'fraction', title: 'data fraction', format: '~%' }],
          },
        },
      ]);
    }),
  }));
  return {
    name: 'low_data',
    title: 'Low data',
    caption:
      "Primary metric against the fraction of training rows, at 10% and at 100% of each model's step budget " +
      '(the nearest checkpoint; whiskers: 95% CI). The closed-form ridge has no step budget: its result is the same ' +
      'in both columns.',
    spec: figure(results, 'Low data: quality against train-data fraction', 'mean over seeds, whiskers = 95% CI', rows),
  };
}

export function oodSpec(results: Results): FigureSpec {
  const rows = scenariosOf(results).map((s) => {
    const values = oodPoints(results, s.scenario);
    const x: Json = { field: 'variant', type: 'nominal', title: 'shift variant', axis: { labelAngle: 0 } };
    // Accuracy bars start at 0; cross-entropy bars hang from the best (lowest) value shown, growing with CE.
    const y: Json = { ...yAxis(s), scale: { zero: !lowerIsBetter(s.metric), reverse: lowerIsBetter(s.metric) } };
    const models = modelColorScale(modelsOf(results)).domain;
    const xOffset: Json = { field: 'model', type: 'nominal', scale: { domain: models } };
    return {
      ...panel(`${s.title}: out of distribution`, values, [
        {
          mark: { type: 'bar', opacity: 0.9 },
          encoding: {
            x,
            xOffset,
            y: { field: 'value', ...y, stack: null },
            color: color(results),
            tooltip: [
              ...TOOLTIP.slice(0, 2),
              { field: 'variant', title: 'variant' },
              ...TOOLTIP.slice(2),
              { field: 'in_distribution_text', title: 'in-distribution' },
              { field: 'delta_text', title: 'shift Δ' },
            ],
          },
        },
        {
          mark: { type: 'rule', color: '#333', strokeWidth: 1 },
          encoding: { x, xOffset, y: { field: 'lo', ...y }, y2: { field: 'hi' } },
        },
        {
          mark: { type: 'tick', color: 'black', thickness: 2.5, bandSize: 14 },
          encoding: { x, xOffset, y: { field: 'in_distribution', ...y } },
        },
      ]),
      width: Math.max(PANEL.width, 2 * PANEL.width + 36),
    };
  });
  return {
    name: 'ood',
    title: 'Out of distribution',
    caption:
      'Final (matched-budget) models evaluated on shifted test sets: bar = mean over seeds, whisker = 95% CI, ' +
      "black tick = the same model's in-distribution value.",
    spec: figure(
      results,
      'OOD: quality under distribution shift',
      'bar = mean over seeds, whisker = 95% CI, black tick = in-distribution value of the same model',
      rows,
    ),
  };
}

export function transferSpec(results: Results): FigureSpec {
  const rows = scenariosOf(results).map((s) => {
    const values = transferPoints(results, s.scenario);
    const side = (x: Json): Json => {
      const y = { field: 'value', ...yAxis(s, 'mean over fractions') };
      return panel(`${s.title}: transfer, ${x.field === 'compute' ? 'total compute' : 'total wall-clock'}`, values, [
        {
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: 'lo', ...yAxis(s, 'mean over fractions') },
            y2: { field: 'hi' },
            ...unlisted(results, 'stroke'),
          },
        },
        {
          mark: { type: 'point', filled: true, size: 70, opacity: 1 },
          encoding: { x, y, color: color(results), tooltip: TOOLTIP },
        },
        {
          mark: { type: 'text', dx: 7, align: 'left', fontSize: 9 },
          encoding: { x, y, text: { field: 'model' }, color: color(results) },
        },
      ]);
    };
    return pair(side(xCompute('compute', `Total ${COMPUTE_TITLE}`)), side(xSeconds('seconds', 'Total wall-clock (s)')));
  });
  return {
    name: 'transfer',
    title: 'Transfer',
    caption:
      'Mean primary metric over the transfer data fractions against the total bill of serving all of them ' +
      '(a closed-form fit is paid once and shared); whiskers: 95% CI over seeds.',
    spec: figure(
      results,
      'Transfer: one fit, several downstream fractions',
      'mean over fractions and seeds, whisker = 95% CI; the shared closed-form cost is paid once',
      rows,
    ),
  };
}

/** All figures whose table has rows for at least one scenario. */
export function figureSpecs(results: Results): FigureSpec[] {
  const has = (rows: { scenario: string }[]): boolean => rows.length > 0;
  return [
    has(results.anytime_summary) ? anytimeSpec(results) : null,
    has(results.pareto_rows) ? paretoSpec(results) : null,
    has(results.low_data_summary) ? lowDataSpec(results) : null,
    has(results.ood_summary) ? oodSpec(results) : null,
    has(results.transfer_summary) ? transferSpec(results) : null,
  ].filter((f): f is FigureSpec => f !== null);
}
