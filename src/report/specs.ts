// Vega-Lite specs of the report's five figures. Each figure is a wrapped concat of equally sized panels (two per
// row; the page reflows them to one column and to its own width), each panel with its own scales: cross-entropy
// axes are reversed (better is up, or right). One fixed colour per model (style.ts); a legend lists only the
// models its figure draws; every mark carries a tooltip. Non-data colours come from LIGHT so the page can swap
// them for a dark scheme.
import { REFERENCE } from '../reference.ts';
import type { Results } from '../bench/results.ts';
import {
  anytimePoints,
  lowDataPoints,
  modelsIn,
  oodPoints,
  paretoPoints,
  scenariosOf,
  transferPoints,
  type ScenarioInfo,
} from './data.ts';
import { COMPUTE_TITLE, LIGHT, SECONDS_TITLE, lowerIsBetter, metricTitle, modelColorScale } from './style.ts';

export type Json = Record<string, unknown>;

export type FigureName = 'anytime' | 'pareto' | 'low_data' | 'ood' | 'transfer';

export interface FigureSpec {
  /** File stem: figures/<name>.svg / .png; anchor figure-<name>. */
  name: FigureName;
  title: string;
  caption: string;
  spec: Json;
}

/** Panel size in CSS pixels in the SVG/PNG files (the page sets its own width); axes and titles come on top. */
export const PANEL = { width: 380, height: 190 };
/** Panels per row in the files and on a wide page. */
export const COLUMNS = 2;
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

/** The model colour channel over exactly the models this figure draws. */
const colorOf = (models: string[]): Json => ({
  field: 'model',
  type: 'nominal',
  title: 'model',
  scale: modelColorScale(models),
});

function yAxis(s: ScenarioInfo, suffix = ''): Json {
  return {
    type: 'quantitative',
    title: metricTitle(s.metric, suffix),
    scale: { zero: false, reverse: lowerIsBetter(s.metric), nice: true, padding: 6 },
    axis: { tickCount: 5 },
  };
}

const xCompute = (field: string, title = COMPUTE_TITLE): Json => ({
  field,
  type: 'quantitative',
  title,
  scale: { zero: true, nice: true },
  axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')", tickCount: 5 },
});
const xSeconds = (field: string, title = SECONDS_TITLE): Json => ({
  field,
  type: 'quantitative',
  title,
  scale: { zero: true, nice: true },
  axis: { tickCount: 6 },
});

/** Legend entries per row: as many as fit the figure's width at ~190 px each. */
const legendColumns = (models: number): number => Math.max(1, Math.min(models, Math.floor((COLUMNS * 470) / 190)));

function figure(title: string, subtitle: string, panels: Json[], models: string[]): Json {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11 },
    concat: panels,
    columns: COLUMNS,
    spacing: { row: 30, column: 36 },
    resolve: { scale: { color: 'shared' } },
    config: {
      font: FONT,
      background: LIGHT.background,
      padding: 12,
      view: { stroke: LIGHT.frame },
      axis: {
        labelFontSize: 11,
        titleFontSize: 11,
        titleFontWeight: 'normal',
        labelColor: LIGHT.ink,
        titleColor: LIGHT.ink,
        domainColor: LIGHT.muted,
        tickColor: LIGHT.muted,
        grid: true,
        gridColor: LIGHT.grid,
        labelOverlap: 'greedy',
        labelSeparation: 6,
      },
      axisQuantitative: { labelFlush: true },
      legend: {
        orient: 'top',
        direction: 'horizontal',
        columns: legendColumns(models.length),
        labelFontSize: 11,
        titleFontSize: 11,
        labelColor: LIGHT.ink,
        titleColor: LIGHT.ink,
        labelLimit: 240,
        symbolStrokeWidth: 2,
        symbolOpacity: 1,
        symbolType: 'circle',
        symbolSize: 90,
      },
      title: { fontSize: 12, fontWeight: 'bold', anchor: 'start', color: LIGHT.ink, subtitleColor: LIGHT.muted },
      text: { color: LIGHT.ink },
    },
    usermeta: { columns: COLUMNS, models },
  };
}

/** One scenario's panel; the title's second line says what the panel shows. */
function panel(s: ScenarioInfo, what: string, values: object[], layer: Json[], height = PANEL.height): Json {
  return { title: { text: [s.title, what] }, width: PANEL.width, height, data: { values }, layer };
}

/** Line through the mean, 95% CI band, and a point per checkpoint with the tooltip. */
function curveLayers(s: ScenarioInfo, x: Json, color: Json): Json[] {
  return [
    {
      mark: { type: 'area', opacity: 0.16 },
      encoding: { x, y: { field: 'lo', ...yAxis(s) }, y2: { field: 'hi' }, fill: color },
    },
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: { x, y: { field: 'value', ...yAxis(s) }, color, order: { field: 'order' } },
    },
    {
      mark: { type: 'point', filled: true, size: 36, opacity: 1 },
      encoding: { x, y: { field: 'value', ...yAxis(s) }, color, tooltip: TOOLTIP },
    },
  ];
}

export function anytimeSpec(results: Results): FigureSpec {
  const scenarios = scenariosOf(results);
  const values = new Map(
    scenarios.map((s) => [s.scenario, anytimePoints(results, s.scenario).map((p, order) => ({ ...p, order }))]),
  );
  const models = modelsIn([...values.values()].flat());
  const color = colorOf(models);
  const panels = scenarios.flatMap((s) => [
    panel(s, 'against compute', values.get(s.scenario)!, curveLayers(s, xCompute('compute'), color)),
    panel(s, 'against wall-clock', values.get(s.scenario)!, curveLayers(s, xSeconds('seconds'), color)),
  ]);
  return {
    name: 'anytime',
    title: 'Anytime quality',
    caption:
      'Mean primary metric over seeds at each budget checkpoint (band: 95% CI), against compute and against ' +
      'wall-clock. Closed-form models start at their fit cost; a model without gradient steps is a single point.',
    spec: figure(
      'Anytime: quality against compute and wall-clock',
      'mean over seeds, band = 95% CI; closed-form starts begin at their fit cost',
      panels,
      models,
    ),
  };
}

export function paretoSpec(results: Results): FigureSpec {
  const scenarios = scenariosOf(results);
  const sides = scenarios.flatMap((s) =>
    (['compute', 'wall_clock'] as const).map((axis) => ({ s, axis, values: paretoPoints(results, s.scenario, axis) })),
  );
  const models = modelsIn(sides.flatMap((p) => p.values));
  const color = colorOf(models);
  const panels = sides.map(({ s, axis, values }) => {
    const x = axis === 'compute' ? xCompute('x') : xSeconds('x');
    const y = { field: 'value', ...yAxis(s) };
    return panel(s, axis === 'compute' ? 'compute front' : 'wall-clock front', values, [
      {
        transform: [{ filter: 'datum.front' }],
        mark: { type: 'line', interpolate: 'step-after', color: LIGHT.ink, strokeWidth: 1.5, opacity: 0.7 },
        encoding: { x, y },
      },
      {
        transform: [{ filter: 'datum.front' }],
        mark: { type: 'point', filled: false, size: 130, color: LIGHT.ink, strokeWidth: 1.2, opacity: 0.9 },
        encoding: { x, y, tooltip: TOOLTIP },
      },
      {
        mark: { type: 'point', filled: true, size: 40, opacity: 0.9 },
        encoding: { x, y, color, tooltip: TOOLTIP },
      },
    ]);
  });
  return {
    name: 'pareto',
    title: 'Pareto fronts',
    caption:
      'Every (model, checkpoint) mean point against compute and against wall-clock. The step line and the ' +
      'ringed points are the front: points no other point beats on both cost and quality. Hover a point for its ' +
      'checkpoint.',
    spec: figure(
      'Pareto: quality against cost',
      'step line and rings = Pareto front (no other point is both cheaper and better)',
      panels,
      models,
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
  const scenarios = scenariosOf(results);
  const cells = scenarios.flatMap((s) =>
    budgets.map((budget) => ({
      s,
      budget,
      values: lowDataPoints(results, s.scenario, budget).map((p, order) => ({ ...p, order })),
    })),
  );
  const models = modelsIn(cells.flatMap((c) => c.values));
  const color = colorOf(models);
  const panels = cells.map(({ s, budget, values }) =>
    panel(s, `at ${Math.round(budget * 100)}% of the step budget`, values, [
      {
        mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.6 },
        encoding: { x, y: { field: 'lo', ...yAxis(s) }, y2: { field: 'hi' }, stroke: color },
      },
      {
        mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 36 } },
        encoding: {
          x,
          y: { field: 'value', ...yAxis(s) },
          color,
          order: { field: 'order' },
          tooltip: [...TOOLTIP, { field: 'fraction', title: 'data fraction', format: '~%' }],
        },
      },
    ]),
  );
  const spec = figure(
    'Low data: quality against train-data fraction',
    'mean over seeds, whiskers = 95% CI',
    panels,
    models,
  );
  return {
    name: 'low_data',
    title: 'Low data',
    caption:
      "Primary metric against the fraction of training rows, at each low-data checkpoint of a model's step budget " +
      '(the nearest checkpoint; whiskers: 95% CI). A model without gradient steps has the same result at every ' +
      'budget.',
    spec: { ...spec, columns: Math.max(1, Math.min(COLUMNS, budgets.length)) },
  };
}

/**
 * Dumbbells, no bars: per shift and model, a hollow circle at the in-distribution value, a filled one at the
 * shifted value (whisker: its 95% CI), joined by a thin line, on an axis that starts where the data does. Shifts
 * are rows, models offset within them, so the labels are horizontal text that cannot collide.
 */
export function oodSpec(results: Results): FigureSpec {
  const scenarios = scenariosOf(results);
  const values = new Map(scenarios.map((s) => [s.scenario, oodPoints(results, s.scenario)]));
  const models = modelsIn([...values.values()].flat());
  const color = colorOf(models);
  const rows = Math.max(...[...values.values()].map((v) => new Set(v.map((p) => p.variant)).size), 1);
  const height = Math.max(PANEL.height, rows * models.length * 16 + rows * 14);
  const panels = scenarios
    .filter((s) => values.get(s.scenario)!.length > 0)
    .map((s) => {
      const x = (field: string): Json => ({
        field,
        type: 'quantitative',
        title: metricTitle(s.metric, '', 'x'),
        scale: { zero: false, nice: true, reverse: lowerIsBetter(s.metric) },
        axis: { tickCount: 5 },
      });
      const y: Json = { field: 'variant', type: 'nominal', title: 'shift', axis: { labelLimit: 120, grid: false } };
      const tooltip: Json[] = [
        ...TOOLTIP.slice(0, 2),
        { field: 'variant', title: 'shift' },
        ...TOOLTIP.slice(2),
        { field: 'in_distribution_text', title: 'in-distribution' },
        { field: 'delta_text', title: 'shift Δ' },
      ];
      const yOffset: Json = {
        field: 'model',
        type: 'nominal',
        scale: { domain: modelColorScale(models).domain, paddingInner: 0.25 },
      };
      return panel(
        s,
        'out of distribution',
        values.get(s.scenario)!,
        [
          {
            mark: { type: 'rule', strokeWidth: 1, opacity: 0.55 },
            encoding: { y, yOffset, x: x('in_distribution'), x2: { field: 'value' }, color },
          },
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: { y, yOffset, x: x('lo'), x2: { field: 'hi' }, color },
          },
          {
            mark: { type: 'point', filled: false, size: 40, strokeWidth: 1.5, opacity: 1 },
            encoding: { y, yOffset, x: x('in_distribution'), color, tooltip },
          },
          {
            mark: { type: 'point', filled: true, size: 50, opacity: 1 },
            encoding: { y, yOffset, x: x('value'), color, tooltip },
          },
        ],
        height,
      );
    });
  return {
    name: 'ood',
    title: 'Out of distribution',
    caption:
      'Final (matched-budget) models on shifted test sets: hollow circle = in distribution, filled = under the ' +
      'shift (whisker: 95% CI over seeds); the line between them is what the shift costs.',
    spec: figure(
      'OOD: quality under distribution shift',
      'hollow = in distribution, filled = shifted (whisker = 95% CI); the axis starts where the data does',
      panels,
      models,
    ),
  };
}

export function transferSpec(results: Results): FigureSpec {
  const scenarios = scenariosOf(results);
  const values = new Map(scenarios.map((s) => [s.scenario, transferPoints(results, s.scenario)]));
  const models = modelsIn([...values.values()].flat());
  const color = colorOf(models);
  const panels = scenarios.flatMap((s) =>
    [xCompute('compute', `Total ${COMPUTE_TITLE}`), xSeconds('seconds', 'Total wall-clock (s)')].map((x) => {
      const y = { field: 'value', ...yAxis(s, 'mean over fractions') };
      return panel(
        s,
        x.field === 'compute' ? 'transfer, total compute' : 'transfer, total wall-clock',
        values.get(s.scenario)!,
        [
          {
            mark: { type: 'rule', strokeWidth: 1.5 },
            encoding: { x, y: { field: 'lo', ...yAxis(s, 'mean over fractions') }, y2: { field: 'hi' }, stroke: color },
          },
          {
            mark: { type: 'point', filled: true, size: 70, opacity: 1 },
            encoding: { x, y, color, tooltip: TOOLTIP },
          },
        ],
      );
    }),
  );
  return {
    name: 'transfer',
    title: 'Transfer',
    caption:
      'Mean primary metric over the transfer data fractions against the total bill of serving all of them ' +
      '(a closed-form fit is paid once and shared); whiskers: 95% CI over seeds.',
    spec: figure(
      'Transfer: one fit, several downstream fractions',
      'mean over fractions and seeds, whisker = 95% CI; the shared closed-form cost is paid once',
      panels,
      models,
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
