// The summary printed at the end of a run: matched-budget finals per scenario and model (next to the
// reference's published values) and who reaches the target first in wall-clock. Reads results only.
import { fitFractionText } from '../train/index.ts';
import type { FitFraction, Results } from './results.ts';

/** model, or model@fit for a fit-fraction variant. */
const name = (r: { model: string; fit_fraction: FitFraction }): string =>
  r.fit_fraction === 1 ? r.model : `${r.model}@fit ${fitFractionText(r.fit_fraction)}`;

const fmt = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);
/** Seconds: two decimals below 10 s, one above. */
const secs = (v: number | null | undefined): string => fmt(v, v !== null && v !== undefined && v < 10 ? 2 : 1);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (c: string, i: number) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!));
  const line = (cells: string[]) => cells.map(pad).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function summaryText(r: Results): string {
  const out: string[] = [];
  if (r.matched_summary.length) {
    out.push('Matched-budget finals (full data; mean ± 95% CI over seeds)');
    const header = ['scenario', 'model', 'metric', '± ci95', 'published', 'compute', 'wall s'];
    out.push(
      table(
        header,
        r.matched_summary.map((m) => [
          m.scenario,
          name(m),
          fmt(m.metric.mean),
          fmt(m.metric.ci95),
          fmt(m.published),
          m.total_compute_proxy.mean.toExponential(3),
          secs(m.wall_clock_sec.mean),
        ]),
      ),
    );
  }
  if (r.compute_to_target_summary.length) {
    out.push('', 'Time to target (mean backprop final × 0.95 accuracy / × 1.05 cross-entropy)');
    const header = ['scenario', 'model', 'reach', 'wall s', 'vs backprop', 'compute'];
    out.push(
      table(
        header,
        r.compute_to_target_summary.map((c) => [
          c.scenario,
          name(c),
          `${Math.round(c.reach_rate * 100)}%`,
          secs(c.wall_clock_sec_mean),
          fmt(c.wall_clock_ratio_to_backprop, 2),
          c.total_compute_proxy_mean === null ? '-' : c.total_compute_proxy_mean.toExponential(3),
        ]),
      ),
    );
    const scenarios = [...new Set(r.compute_to_target_summary.map((c) => c.scenario))];
    for (const s of scenarios) {
      const reached = r.compute_to_target_summary.filter((c) => c.scenario === s && c.wall_clock_sec_mean !== null);
      const first = reached.sort((a, b) => a.wall_clock_sec_mean! - b.wall_clock_sec_mean!)[0];
      const who = first ? `${name(first)} (${secs(first.wall_clock_sec_mean)} s)` : 'none';
      out.push(`first to target in wall-clock on ${s}: ${who}`);
    }
  }
  const sizes = r.fit_sizes.filter((f) => f.data_fraction === 1);
  if (sizes.some((f) => f.fit_fraction !== 1)) {
    out.push('', 'Closed-form fit sizes (full data): rows the statistics used and the fit seconds');
    const header = ['scenario', 'fit', 'seed', 'rows', 'of N', 'fit s'];
    out.push(
      table(
        header,
        sizes.map((f) => [
          f.scenario,
          fitFractionText(f.fit_fraction),
          String(f.seed),
          String(f.fit_rows),
          `${(100 * f.used_fraction).toFixed(1)}%`,
          secs(f.fit_sec),
        ]),
      ),
    );
  }
  return out.join('\n');
}
