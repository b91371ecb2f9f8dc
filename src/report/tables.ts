// The report's two tables as data (rows of display cells) plus HTML and Markdown renderings: matched-budget
// finals beside the reference's published values, and compute-to-target with the wall-clock ratio to backprop.
import type { Results } from '../bench/results.ts';
import { BASELINE_MODEL } from '../train/index.ts';
import { scenariosOf } from './data.ts';
import {
  modelLabel,
  modelRank,
  scenarioTitle,
  fmt,
  fmtMeanCi,
  fmtMetric,
  fmtSeconds,
  lowerIsBetter,
  metricShort,
} from './style.ts';

export interface Table {
  title: string;
  note: string;
  columns: string[];
  rows: Cell[][];
}

/** A cell's text; `mark` highlights it (the headline column, or a difference outside the CI). */
export interface Cell {
  text: string;
  mark?: 'headline' | 'good' | 'bad' | 'outside-ci';
}

const c = (text: string, mark?: Cell['mark']): Cell => (mark ? { text, mark } : { text });
const order = <T extends { model: string }>(a: T, b: T): number => modelRank(a.model) - modelRank(b.model);

/** Ours (mean ± CI over seeds) vs the reference's published final; Δ = ours − published, flagged when |Δ| > CI. */
export function matchedTable(results: Results): Table {
  const rows: Cell[][] = [];
  for (const s of scenariosOf(results)) {
    for (const r of results.matched_summary.filter((m) => m.scenario === s.scenario).sort(order)) {
      const diff = r.published === null ? null : r.metric.mean - r.published;
      const outside = diff !== null && r.metric.n >= 2 && Math.abs(diff) > r.metric.ci95; // one seed: no CI
      rows.push([
        c(scenarioTitle(r.scenario)),
        c(modelLabel(r.model)),
        c(metricShort(r.metric_name)),
        c(fmtMeanCi(r.metric), 'headline'),
        c(String(r.metric.n)),
        c(fmtMetric(r.published)),
        c(diff === null ? '–' : `${diff >= 0 ? '+' : ''}${fmtMetric(diff)}`, outside ? 'outside-ci' : undefined),
        c(fmt(r.total_compute_proxy.mean, 3)),
        c(fmtSeconds(r.wall_clock_sec.mean)),
        c(r.trainable_params.toLocaleString('en-US')),
      ]);
    }
  }
  return {
    title: 'Matched budget: final checkpoints at full data',
    note:
      "Mean ± 95% CI over seeds; published = the reference implementation's reported value; Δ = ours − " +
      'published, marked where |Δ| exceeds our CI. Accuracy: higher is better; CE (validation cross-entropy, nats): ' +
      'lower is better.',
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
  };
}

/** Reach rate, mean compute and wall-clock to the target over the seeds that reached it, ratios to backprop. */
export function computeToTargetTable(results: Results): Table {
  const rows: Cell[][] = [];
  for (const s of scenariosOf(results)) {
    const target = results.targets.find((t) => t.scenario === s.scenario);
    for (const r of results.compute_to_target_summary.filter((m) => m.scenario === s.scenario).sort(order)) {
      const ratio = r.wall_clock_ratio_to_backprop;
      const mark = r.model === BASELINE_MODEL || ratio === null ? 'headline' : ratio < 1 ? 'good' : 'bad';
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
        c(fmtSeconds(r.wall_clock_sec_mean)),
        c(
          r.model === BASELINE_MODEL
            ? r.reach_rate > 0
              ? '1 (reference)'
              : '–'
            : ratio === null
              ? 'never reached'
              : `${fmt(ratio, 3)}×`,
          mark,
        ),
        c(
          r.model === BASELINE_MODEL || r.compute_ratio_to_backprop === null
            ? '–'
            : `${fmt(r.compute_ratio_to_backprop, 3)}×`,
        ),
      ]);
    }
  }
  return {
    title: 'Compute to target',
    note:
      "Target = 95% of backprop's mean final accuracy (105% of its cross-entropy). Compute and wall-clock are " +
      'means over the seeds that reached it. The wall-clock ratio to backprop is the question the method lives or ' +
      'dies by: below 1 the closed-form start pays for itself.',
    columns: [
      'scenario',
      'model',
      'target',
      'reached',
      'compute (MACs)',
      'wall-clock',
      'wall-clock ÷ backprop',
      'compute ÷ backprop',
    ],
    rows,
  };
}

const escape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export { escape as escapeHtml };

export function tableHtml(t: Table, id: string): string {
  const head = t.columns.map((col) => `<th>${escape(col)}</th>`).join('');
  const body = t.rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell) => `<td${cell.mark ? ` class="${cell.mark}"` : ''}>${escape(cell.text)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return (
    `<section id="${id}"><h2>${escape(t.title)}</h2><p class="note">${escape(t.note)}</p>\n` +
    `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></section>`
  );
}

const bold = (cell: Cell): string => (cell.mark && cell.mark !== 'headline' ? `**${cell.text}**` : cell.text);

/** GitHub Markdown; highlighted cells in bold. */
export function tableMarkdown(t: Table): string {
  const line = (cells: string[]): string => `| ${cells.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `### ${t.title}`,
    '',
    t.note,
    '',
    line(t.columns),
    line(t.columns.map(() => '---')),
    ...t.rows.map((row) => line(row.map(bold))),
  ].join('\n');
}
