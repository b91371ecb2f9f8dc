// The report's tables as data: display cells (HTML, Markdown) plus the plain values behind them (CSV). Matched-
// budget finals beside the reference's published values, compute to target with the ratios to the baseline,
// low data, out of distribution and transfer. Bold marks a winner only.
import type { Results } from '../bench/results.ts';
import { scenarioEntry } from '../data/registry.ts';
import { scenariosOf } from './data.ts';
import {
  byModel,
  fmt,
  fmtMeanCi,
  fmtMetric,
  fmtSeconds,
  isBaseline,
  lowerIsBetter,
  metricShort,
  modelLabel,
  scenarioTitle,
  BASELINE_MODEL,
} from './style.ts';

export type CsvValue = string | number | boolean | null;

export interface Table {
  /** Anchor `table-<id>` and CSV file name `<id>.csv`. */
  id: string;
  title: string;
  note: string;
  columns: string[];
  rows: Cell[][];
  /** The same rows as plain values (means and CIs in their own columns, full precision). */
  csv: { columns: string[]; rows: CsvValue[][] };
  /** The figure drawing these numbers (FigureSpec name), if any. */
  figure?: string;
  /** Cells are phrases that may wrap (not numbers). */
  prose?: boolean;
}

/** A cell's text; `winner` is the best value of its group (bold), `outside-ci` a Δ larger than our CI (†). */
export interface Cell {
  text: string;
  mark?: 'winner' | 'outside-ci';
}

const c = (text: string, mark?: Cell['mark']): Cell => (mark ? { text, mark } : { text });
const better = (lower: boolean, a: number, b: number): boolean => (lower ? a < b : a > b);

/** Index of the best value (ties: every one of them); none when fewer than two values compete. */
function winners(values: (number | null)[], lower: boolean): Set<number> {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length < 2) return new Set();
  const best = present.reduce((a, b) => (better(lower, b, a) ? b : a));
  return new Set(values.flatMap((v, i) => (v === best ? [i] : [])));
}

const signed = (d: number): string => `${d >= 0 ? '+' : ''}${fmtMetric(d)}`;

/** The reference's published low-data final of a model (a full-fit series key only), or null. */
function publishedLowData(scenario: string, fraction: number, model: string): number | null {
  try {
    return scenarioEntry(scenario).publishedLowData[String(fraction)]?.[model] ?? null;
  } catch {
    return null; // a scenario this cfinit cannot resolve (an older results file): nothing published
  }
}

/** Ours (mean ± CI over seeds) vs the reference's published final; Δ = ours − published, † when |Δ| > CI. */
export function matchedTable(results: Results): Table {
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  for (const s of scenariosOf(results)) {
    const group = results.matched_summary.filter((m) => m.scenario === s.scenario).sort(byModel);
    const win = winners(
      group.map((r) => r.metric.mean),
      lowerIsBetter(s.metric),
    );
    group.forEach((r, i) => {
      const diff = r.published === null ? null : r.metric.mean - r.published;
      const outside = diff !== null && r.metric.n >= 2 && Math.abs(diff) > r.metric.ci95; // one seed: no CI
      rows.push([
        c(scenarioTitle(r.scenario)),
        c(modelLabel(r.model)),
        c(metricShort(r.metric_name)),
        c(fmtMeanCi(r.metric), win.has(i) ? 'winner' : undefined),
        c(String(r.metric.n)),
        c(fmtMetric(r.published)),
        diff === null ? c('–') : outside ? c(`${signed(diff)} †`, 'outside-ci') : c(signed(diff)),
        c(fmt(r.total_compute_proxy.mean, 3)),
        c(fmtSeconds(r.wall_clock_sec.mean)),
        c(r.trainable_params.toLocaleString('en-US')),
      ]);
      csv.push([
        r.scenario,
        r.model,
        r.metric_name,
        r.metric.mean,
        r.metric.ci95,
        r.metric.n,
        r.published,
        diff,
        outside,
        r.total_compute_proxy.mean,
        r.wall_clock_sec.mean,
        r.trainable_params,
      ]);
    });
  }
  return {
    id: 'matched',
    title: 'Matched budget: final checkpoints at full data',
    note:
      "Mean ± 95% CI over seeds; bold: the best of its scenario. Published: the reference implementation's " +
      'reported value; Δ = ours − published, † where |Δ| exceeds our CI. Accuracy: higher is better; CE ' +
      '(validation cross-entropy, nats): lower is better.',
    columns: [
      'scenario',
      'model',
      'metric',
      'ours (mean ± CI)',
      'seeds',
      'published',
      'Δ',
      'compute (MACs)',
      'wall-clock',
      'trainable params',
    ],
    rows,
    csv: {
      columns: [
        'scenario',
        'model',
        'metric',
        'mean',
        'ci95',
        'seeds',
        'published',
        'delta',
        'delta_outside_ci',
        'compute_macs',
        'wall_clock_sec',
        'trainable_params',
      ],
      rows: csv,
    },
    figure: 'anytime',
  };
}

/** Reach rate, mean compute and wall-clock to the target over the seeds that reached it, ratios to the baseline. */
export function computeToTargetTable(results: Results): Table {
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  const base = modelLabel(BASELINE_MODEL);
  for (const s of scenariosOf(results)) {
    const target = results.targets.find((t) => t.scenario === s.scenario);
    const group = results.compute_to_target_summary.filter((m) => m.scenario === s.scenario).sort(byModel);
    const win = winners(
      group.map((r) => r.wall_clock_sec_mean),
      true,
    );
    group.forEach((r, i) => {
      const ratio = (x: number | null): string =>
        isBaseline(r.model)
          ? r.reach_rate > 0
            ? '1 (baseline)'
            : '–'
          : x === null
            ? 'never reached'
            : `${fmt(x, 3)}×`;
      rows.push([
        c(scenarioTitle(r.scenario)),
        c(modelLabel(r.model)),
        c(
          target
            ? `${metricShort(target.metric_name)} ${lowerIsBetter(target.metric_name) ? '≤' : '≥'} ` +
                fmtMetric(target.target)
            : '–',
        ),
        c(`${Math.round(r.reach_rate * r.seeds)}/${r.seeds}`),
        c(fmt(r.total_compute_proxy_mean, 3)),
        c(fmtSeconds(r.wall_clock_sec_mean), win.has(i) ? 'winner' : undefined),
        c(ratio(r.wall_clock_ratio_to_backprop)),
        c(isBaseline(r.model) ? '–' : ratio(r.compute_ratio_to_backprop)),
      ]);
      csv.push([
        r.scenario,
        r.model,
        target?.metric_name ?? null,
        target?.target ?? null,
        Math.round(r.reach_rate * r.seeds),
        r.seeds,
        r.total_compute_proxy_mean,
        r.wall_clock_sec_mean,
        r.wall_clock_ratio_to_backprop,
        r.compute_ratio_to_backprop,
      ]);
    });
  }
  return {
    id: 'target',
    title: 'Compute to target',
    note:
      `Target = 95% of ${base}'s mean final accuracy (105% of its cross-entropy). Compute and wall-clock are means ` +
      'over the seeds that reached it; bold: the first to reach it in wall-clock. Below 1 in the wall-clock ratio ' +
      `the closed-form start pays for itself against ${base}.`,
    columns: [
      'scenario',
      'model',
      'target',
      'reached',
      'compute (MACs)',
      'wall-clock',
      `wall-clock ÷ ${base}`,
      `compute ÷ ${base}`,
    ],
    rows,
    csv: {
      columns: [
        'scenario',
        'model',
        'metric',
        'target',
        'seeds_reached',
        'seeds',
        'compute_macs_mean',
        'wall_clock_sec_mean',
        'wall_clock_ratio_to_baseline',
        'compute_ratio_to_baseline',
      ],
      rows: csv,
    },
    figure: 'pareto',
  };
}

/** Final metric per train-data fraction (low-data runs and the full-data run), bold: the best per fraction. */
export function lowDataTable(results: Results): Table {
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  const finals = (r: { budget_fraction: number; checkpoint_label: string }): boolean =>
    r.budget_fraction === 1 || r.checkpoint_label === 'init';
  for (const s of scenariosOf(results)) {
    const own = (rows: Results['low_data_summary']): Results['low_data_summary'] =>
      rows.filter((r) => r.scenario === s.scenario);
    const lowRows = own(results.low_data_summary);
    const fractions = [...new Set(lowRows.map((r) => r.data_fraction))].sort((a, b) => a - b);
    for (const fraction of [...fractions, 1]) {
      const source = fraction === 1 ? own(results.anytime_summary) : lowRows;
      const atFraction = source.filter((r) => r.data_fraction === fraction);
      // The last checkpoint of each model (a model without gradient steps has only its init row).
      const last = new Map<string, (typeof atFraction)[number]>();
      for (const r of atFraction) {
        const prev = last.get(r.model);
        if (!prev || r.budget_fraction > prev.budget_fraction) last.set(r.model, r);
      }
      const group = [...last.values()].filter(finals).sort(byModel);
      const win = winners(
        group.map((r) => r.metric.mean),
        lowerIsBetter(s.metric),
      );
      group.forEach((r, i) => {
        rows.push([
          c(scenarioTitle(r.scenario)),
          c(`${+(fraction * 100).toPrecision(3)}%`),
          c(modelLabel(r.model)),
          c(metricShort(r.metric_name)),
          c(fmtMeanCi(r.metric), win.has(i) ? 'winner' : undefined),
          c(fmtMetric(publishedLowData(r.scenario, fraction, r.model))),
          c(fmt(r.total_compute_proxy.mean, 3)),
          c(fmtSeconds(r.wall_clock_sec.mean)),
        ]);
        csv.push([
          r.scenario,
          fraction,
          r.model,
          r.metric_name,
          r.metric.mean,
          r.metric.ci95,
          r.metric.n,
          publishedLowData(r.scenario, fraction, r.model),
          r.total_compute_proxy.mean,
          r.wall_clock_sec.mean,
        ]);
      });
    }
  }
  return {
    id: 'low-data',
    title: 'Low data: finals by train-data fraction',
    note:
      "Each model's final checkpoint trained on a fraction of the rows (100%: the full-data run); mean ± 95% CI " +
      "over seeds; published: the reference's value where it reported one; bold: the best at that fraction.",
    columns: ['scenario', 'data', 'model', 'metric', 'final (mean ± CI)', 'published', 'compute (MACs)', 'wall-clock'],
    rows,
    csv: {
      columns: [
        'scenario',
        'data_fraction',
        'model',
        'metric',
        'mean',
        'ci95',
        'seeds',
        'published',
        'compute_macs',
        'wall_clock_sec',
      ],
      rows: csv,
    },
    figure: 'low_data',
  };
}

/** Matched-budget finals on shifted test sets: shifted value, in-distribution value, the loss; bold: best shifted. */
export function oodTable(results: Results): Table {
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  for (const s of scenariosOf(results)) {
    const own = results.ood_summary.filter((r) => r.scenario === s.scenario);
    for (const variant of [...new Set(own.map((r) => r.variant))].sort()) {
      const group = own.filter((r) => r.variant === variant).sort(byModel);
      const lower = lowerIsBetter(s.metric);
      const win = winners(
        group.map((r) => r.metric.mean),
        lower,
      );
      group.forEach((r, i) => {
        rows.push([
          c(scenarioTitle(r.scenario)),
          c(variant),
          c(modelLabel(r.model)),
          c(metricShort(r.metric_name)),
          c(fmtMeanCi(r.metric), win.has(i) ? 'winner' : undefined),
          c(fmtMeanCi(r.in_distribution)),
          c(`${r.delta.mean >= 0 ? '+' : ''}${fmtMeanCi(r.delta)}`),
        ]);
        csv.push([
          r.scenario,
          variant,
          r.model,
          r.metric_name,
          r.metric.mean,
          r.metric.ci95,
          r.in_distribution.mean,
          r.delta.mean,
          r.delta.ci95,
          r.metric.n,
        ]);
      });
    }
  }
  return {
    id: 'ood',
    title: 'Out of distribution',
    note:
      'Matched-budget finals on shifted test sets, mean ± 95% CI over seeds; Δ = shifted − in-distribution ' +
      '(accuracy: negative is a loss; CE: positive is a loss). Bold: the best under that shift.',
    columns: ['scenario', 'shift', 'model', 'metric', 'shifted (mean ± CI)', 'in distribution', 'Δ'],
    rows,
    csv: {
      columns: [
        'scenario',
        'shift',
        'model',
        'metric',
        'mean',
        'ci95',
        'in_distribution_mean',
        'delta_mean',
        'delta_ci95',
        'seeds',
      ],
      rows: csv,
    },
    figure: 'ood',
  };
}

/** Mean metric over the transfer fractions against the total bill of all of them; bold: the best metric. */
export function transferTable(results: Results): Table {
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  for (const s of scenariosOf(results)) {
    const group = results.transfer_summary.filter((r) => r.scenario === s.scenario).sort(byModel);
    const win = winners(
      group.map((r) => r.mean_metric.mean),
      lowerIsBetter(s.metric),
    );
    group.forEach((r, i) => {
      rows.push([
        c(scenarioTitle(r.scenario)),
        c(modelLabel(r.model)),
        c(metricShort(r.metric_name)),
        c(fmtMeanCi(r.mean_metric), win.has(i) ? 'winner' : undefined),
        c(fmt(r.total_compute_proxy.mean, 3)),
        c(fmtSeconds(r.total_wall_clock_sec.mean)),
      ]);
      csv.push([
        r.scenario,
        r.model,
        r.metric_name,
        r.mean_metric.mean,
        r.mean_metric.ci95,
        r.mean_metric.n,
        r.total_compute_proxy.mean,
        r.total_wall_clock_sec.mean,
      ]);
    });
  }
  return {
    id: 'transfer',
    title: 'Transfer: one fit, several fractions',
    note:
      'Mean over the transfer data fractions (± 95% CI over seeds) against the total bill of serving all of them; ' +
      'a closed-form fit is paid once. Bold: the best mean metric.',
    columns: ['scenario', 'model', 'metric', 'mean over fractions', 'total compute (MACs)', 'total wall-clock'],
    rows,
    csv: {
      columns: ['scenario', 'model', 'metric', 'mean', 'ci95', 'seeds', 'total_compute_macs', 'total_wall_clock_sec'],
      rows: csv,
    },
    figure: 'transfer',
  };
}

/** The report's tables that have rows, in page order. */
export function reportTables(results: Results): Table[] {
  return [
    matchedTable(results),
    computeToTargetTable(results),
    lowDataTable(results),
    oodTable(results),
    transferTable(results),
  ].filter((t) => t.rows.length > 0);
}

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export { escape as escapeHtml };

/** RFC 4180: fields with a comma, quote or line break quoted, quotes doubled; numbers at full precision. */
export function tableCsv(t: Table): string {
  const field = (v: CsvValue): string => {
    const s = v === null ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.csv.columns, ...t.csv.rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

/** The <table> element (no section around it). */
export function tableHtml(t: Table): string {
  const head = t.columns.map((col) => `<th scope="col">${escape(col)}</th>`).join('');
  const body = t.rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell) => `<td${cell.mark ? ` class="${cell.mark}"` : ''}>${escape(cell.text)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table${t.prose ? ' class="prose"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** GitHub Markdown; winners in bold. */
export function tableMarkdown(t: Table): string {
  const line = (cells: string[]): string => `| ${cells.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `### ${t.title}`,
    '',
    t.note,
    '',
    line(t.columns),
    line(t.columns.map(() => '---')),
    ...t.rows.map((row) => line(row.map((cell) => (cell.mark === 'winner' ? `**${cell.text}**` : cell.text)))),
  ].join('\n');
}
