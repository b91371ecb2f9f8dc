// The report's short verdict, computed from the summary tables: who wins each scenario at matched budget, who
// reaches the compute-to-target threshold first in wall-clock and by how much, and where our finals differ from
// the reference's published values by more than their CI. Facts first (for JSON), sentences from the facts.
import type { MatchedSummary, Results } from '../bench/results.ts';
import { trivialTarget } from './answers.ts';
import { scenariosOf } from './data.ts';
import {
  BASELINE_MODEL,
  fmt,
  fmtMeanCi,
  fmtMetric,
  fmtSeconds,
  lowerIsBetter,
  metricShort,
  modelLabel,
  scenarioTitle,
} from './style.ts';

export interface Winner {
  scenario: string;
  /** The best model at matched budget; null when several share the best mean (a tie, listed in `tied`). */
  model: string | null;
  /** Every model at the best mean when there is a tie, else empty. */
  tied: string[];
  runner_up: string | null;
  /** The winner's CI and the runner-up's do not overlap. */
  clear: boolean;
}

export interface FirstToTarget {
  scenario: string;
  /** Fastest model in mean wall-clock to target (null: nobody reached it). */
  model: string | null;
  seconds: number | null;
  /** What the margin is measured against: backprop, or the next fastest when backprop is the fastest. */
  compared_with: string | null;
  compared_seconds: number | null;
  /** Models that never reached the target. */
  never: string[];
  /** Why reaching this target says nothing of cost (a start meets it with an untrained head), else null. */
  trivial: string | null;
}

export interface ReferenceGap {
  scenario: string;
  model: string;
  ours: number;
  ci95: number;
  published: number;
}

export interface Verdict {
  winners: Winner[];
  first_to_target: FirstToTarget[];
  reference_gaps: ReferenceGap[];
  /** One sentence per fact, in the order above. */
  sentences: string[];
}

const value = (m: MatchedSummary): string => fmtMeanCi(m.metric);

/** 'a and b', 'a, b and c'. */
const andList = (xs: readonly string[]): string =>
  xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;

export function verdict(results: Results): Verdict {
  const winners: Winner[] = [];
  const first_to_target: FirstToTarget[] = [];
  const reference_gaps: ReferenceGap[] = [];
  const sentences: string[] = [];
  for (const s of scenariosOf(results)) {
    const title = scenarioTitle(s.scenario);
    const lower = lowerIsBetter(s.metric);
    const ranked = results.matched_summary
      .filter((m) => m.scenario === s.scenario)
      .sort((a, b) => (lower ? a.metric.mean - b.metric.mean : b.metric.mean - a.metric.mean));
    const [best, second] = ranked;
    if (best) {
      const withCi = second !== undefined && best.metric.n >= 2 && second.metric.n >= 2;
      const clear = withCi && Math.abs(best.metric.mean - second.metric.mean) > best.metric.ci95 + second.metric.ci95;
      const tied = ranked.filter((m) => m.metric.mean === best.metric.mean).map((m) => m.model);
      const tie = tied.length > 1;
      // the JSON says what the sentence says: a tie names no winner
      winners.push({
        scenario: s.scenario,
        model: tie ? null : best.model,
        tied: tie ? tied : [],
        runner_up: tie ? null : (second?.model ?? null),
        clear: tie ? false : clear,
      });
      const versus = second ? ` vs ${modelLabel(second.model)} ${value(second)}` : '';
      const how = !second
        ? '.'
        : !withCi
          ? '; one seed, so no CI to judge it by.'
          : clear
            ? ', outside both CIs.'
            : '; the CIs overlap, so not a clear win.';
      sentences.push(
        tie
          ? `${title}: ${andList(tied.map((m) => modelLabel(m)))} tie at matched budget ` +
              `(${metricShort(s.metric)} ${value(best)}).`
          : `${title}: ${modelLabel(best.model)} wins at matched budget (${metricShort(s.metric)} ` +
              `${value(best)}${versus})${how}`,
      );
    }
    const reach = results.compute_to_target_summary.filter((r) => r.scenario === s.scenario);
    if (reach.length > 0) {
      const reached = reach
        .filter((r) => r.wall_clock_sec_mean !== null)
        .sort((a, b) => a.wall_clock_sec_mean! - b.wall_clock_sec_mean!);
      const never = reach.filter((r) => r.wall_clock_sec_mean === null).map((r) => r.model);
      const fast = reached[0];
      const trivial = trivialTarget(results, s.scenario);
      const next =
        fast?.model === BASELINE_MODEL ? reached[1] : (reached.find((r) => r.model === BASELINE_MODEL) ?? reached[1]);
      first_to_target.push({
        scenario: s.scenario,
        model: fast?.model ?? null,
        seconds: fast?.wall_clock_sec_mean ?? null,
        compared_with: next?.model ?? null,
        compared_seconds: next?.wall_clock_sec_mean ?? null,
        never,
        trivial,
      });
      const neverText =
        (never.length ? ` ${never.map((m) => modelLabel(m)).join(', ')} never reached it.` : '') +
        (trivial ? ` The target says nothing of cost here: ${trivial}.` : '');
      if (!fast) {
        sentences.push(`${title}: no model reaches the target.`);
      } else {
        const hits = Math.round(fast.reach_rate * fast.seeds);
        const partial = fast.reach_rate < 1 ? ` (in ${hits}/${fast.seeds} seeds)` : '';
        const by = next
          ? `, ${fmt(next.wall_clock_sec_mean! / fast.wall_clock_sec_mean!, 3)}× faster than ` +
            `${modelLabel(next.model)} ` +
            `(${fmtSeconds(next.wall_clock_sec_mean)})`
          : '';
        sentences.push(
          `${title}: ${modelLabel(fast.model)} reaches the target first in wall-clock, ` +
            `${fmtSeconds(fast.wall_clock_sec_mean)}${partial}${by}.${neverText}`,
        );
      }
    }
    for (const m of results.matched_summary.filter((r) => r.scenario === s.scenario && r.published !== null)) {
      if (m.metric.n >= 2 && Math.abs(m.metric.mean - m.published!) > m.metric.ci95) {
        reference_gaps.push({
          scenario: s.scenario,
          model: m.model,
          ours: m.metric.mean,
          ci95: m.metric.ci95,
          published: m.published!,
        });
      }
    }
  }
  const compared = results.matched_summary.filter((m) => m.published !== null && m.metric.n >= 2).length;
  const oneSeed = results.matched_summary.filter((m) => m.published !== null && m.metric.n < 2).length;
  if (results.metadata.quick) {
    sentences.unshift(
      'A --quick run (reduced sizes and budgets): a smoke test of the pipeline, not comparable to ' +
        "the reference's published values.",
    );
  }
  if (oneSeed > 0) {
    sentences.push(
      `${oneSeed} matched-budget final${oneSeed === 1 ? ' has' : 's have'} one seed, so no CI to ` +
        "compare with the reference's published values (see the matched-budget table for the differences).",
    );
  }
  if (compared > 0) {
    sentences.push(
      reference_gaps.length === 0
        ? `All ${compared} of our matched-budget finals are within their CI of the reference's published values.`
        : `Ours differ from the reference's published value by more than our CI in ${reference_gaps.length} of ` +
            `${compared}: ${reference_gaps
              .map(
                (g) =>
                  `${scenarioTitle(g.scenario)} ${modelLabel(g.model)} ` +
                  `(${fmtMeanCi({ mean: g.ours, ci95: g.ci95 })} vs ${fmtMetric(g.published)})`,
              )
              .join('; ')}.`,
    );
  }
  return { winners, first_to_target, reference_gaps, sentences };
}
