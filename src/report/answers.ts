// The page's opening: one line per question the benchmark exists to answer, computed from the summary tables.
// In each scenario every start (every model but the baseline) is set against the baseline; a line counts the
// scenarios where the best start for that question pays off and names it with its numbers. The per-start table
// gives the same counts for every start.
import { computeToTargetSummary, matchedSummary, oodSummary } from '../bench/analytics.ts';
import type { PrimaryMetric, Results } from '../bench/results.ts';
import { scenariosOf, type ScenarioInfo } from './data.ts';
import type { CsvValue, Table, Cell } from './tables.ts';
import {
  BASELINE_MODEL,
  fmt,
  fmtMetric,
  fmtSeconds,
  headUntrainedAtInit,
  isBaseline,
  lowerIsBetter,
  modelLabel,
  modelOrder,
  scenarioShort,
} from './style.ts';

export type QuestionId = 'quality' | 'compute' | 'wall_clock' | 'stability';

/** One start against the baseline in one scenario, for one question. */
export interface Judgement {
  scenario: string;
  model: string;
  /** The start does better than the baseline on this question. */
  pays: boolean;
  /** How good the start is for this question (lower is better): picks the best start of a scenario. */
  rank: number;
  /** The numbers behind it, e.g. 'CF + CE head 2.91 s vs backprop 29.4 s'. */
  detail: string;
}

export interface ScenarioAnswer {
  scenario: string;
  title: string;
  /** The best start for this question (null: no start could be judged here). */
  model: string | null;
  pays: boolean;
  detail: string;
}

export interface Answer {
  id: QuestionId;
  question: string;
  /** What a yes means: 'Pays off in wall-clock'. */
  claim: string;
  /** Scenarios where it pays off, of the scenarios where the baseline and a start could be compared. */
  yes: number;
  of: number;
  scenarios: ScenarioAnswer[];
  /** Scenarios left out of this question, and why (a target an untrained network meets). */
  unjudged: { scenario: string; reason: string }[];
  /** `${claim}: ${yes} of ${of} scenarios`. */
  summary: string;
  /** The numbers behind it as sentences: 'Covtype / MLP: CF + CE head 2.91 s vs backprop 29.4 s. Not in …' */
  evidence: string;
  /** The answer in one line: `${summary} (scenario: numbers; …); not in …`. */
  line: string;
}

export const QUESTIONS: { id: QuestionId; question: string; claim: string }[] = [
  { id: 'quality', question: 'Same budget, better quality?', claim: 'Better at the same budget' },
  { id: 'compute', question: 'Same target, less compute?', claim: 'Pays off in compute' },
  { id: 'wall_clock', question: 'Same target, less wall-clock?', claim: 'Pays off in wall-clock' },
  {
    id: 'stability',
    question: 'Stable across seeds and shifts?',
    claim: `At least as stable as ${modelLabel(BASELINE_MODEL)}`,
  },
];

const better = (metric: PrimaryMetric, a: number, b: number): boolean => (lowerIsBetter(metric) ? a < b : a > b);
/** Signed so that smaller is better. */
const cost = (metric: PrimaryMetric, v: number): number => (lowerIsBetter(metric) ? v : -v);

/** Same budget: the start's matched-budget final against the baseline's. */
function quality(results: Results, s: ScenarioInfo): Judgement[] {
  const rows = results.matched_summary.filter((r) => r.scenario === s.scenario);
  const base = rows.find((r) => isBaseline(r.model));
  if (!base) return [];
  return rows
    .filter((r) => !isBaseline(r.model))
    .map((r) => {
      const withCi = r.metric.n >= 2 && base.metric.n >= 2;
      const apart = Math.abs(r.metric.mean - base.metric.mean) > r.metric.ci95 + base.metric.ci95;
      const how = !withCi ? ', one seed' : apart ? ', outside both CIs' : ', CIs overlap';
      return {
        scenario: s.scenario,
        model: r.model,
        pays: better(s.metric, r.metric.mean, base.metric.mean),
        rank: cost(s.metric, r.metric.mean),
        detail:
          `${modelLabel(r.model)} ${fmtMetric(r.metric.mean)} vs ${modelLabel(base.model)} ` +
          `${fmtMetric(base.metric.mean)}${how}`,
      };
    });
}

/**
 * Same target: compute or wall-clock to the target, a mean over the seeds that reached it. A start counts only
 * when it reached the target in at least as many seeds as the baseline (a faster mean over fewer seeds is not
 * less cost for the same result).
 */
function toTarget(results: Results, s: ScenarioInfo, axis: 'compute' | 'wall_clock'): Judgement[] {
  const rows = results.compute_to_target_summary.filter((r) => r.scenario === s.scenario);
  const base = rows.find((r) => isBaseline(r.model));
  if (!base) return [];
  const value = (r: (typeof rows)[number]): number | null =>
    axis === 'compute' ? r.total_compute_proxy_mean : r.wall_clock_sec_mean;
  const show = (v: number | null): string => (axis === 'compute' ? `${fmt(v, 3)} MACs` : fmtSeconds(v));
  const hits = (r: (typeof rows)[number]): number => Math.round(r.reach_rate * r.seeds);
  const b = value(base);
  return rows
    .filter((r) => !isBaseline(r.model))
    .map((r) => {
      const v = value(r);
      const reached = v !== null && hits(r) > 0;
      const asOften = hits(r) >= hits(base);
      const seeds = hits(r) < r.seeds ? ` (${hits(r)}/${r.seeds} seeds)` : '';
      const pays = reached && asOften && (b === null || hits(base) === 0 || v < b);
      const versus =
        b === null || hits(base) === 0
          ? `${modelLabel(base.model)} never reached it`
          : `${modelLabel(base.model)} ${show(b)}${hits(base) < base.seeds ? ` (${hits(base)}/${base.seeds} seeds)` : ''}`;
      return {
        scenario: s.scenario,
        model: r.model,
        pays,
        // Reaching as often as the baseline first, then the cost.
        rank: !reached ? Infinity : (asOften ? 0 : 1e300) + v,
        detail: reached
          ? `${modelLabel(r.model)} ${show(v)}${seeds} vs ${versus}`
          : `${modelLabel(r.model)} never reached it`,
      };
    });
}

/**
 * Seeds and shifts: the start's spread over seeds (population std of the matched-budget final) and its mean
 * loss under the OOD shifts, each no larger than the baseline's. Judged for the start that is best at the same
 * budget (the one a user would pick), so `rank` follows quality.
 */
function stability(results: Results, s: ScenarioInfo): Judgement[] {
  const rows = results.matched_summary.filter((r) => r.scenario === s.scenario);
  const base = rows.find((r) => isBaseline(r.model));
  if (!base) return [];
  const ood = results.ood_summary.filter((r) => r.scenario === s.scenario);
  /** Mean loss under shift (positive = worse), or null without OOD rows for the model. */
  const loss = (model: string): number | null => {
    const own = ood.filter((r) => r.model === model);
    if (own.length === 0) return null;
    return own.reduce((a, r) => a + (lowerIsBetter(s.metric) ? r.delta.mean : -r.delta.mean), 0) / own.length;
  };
  const baseLoss = loss(base.model);
  return rows
    .filter((r) => !isBaseline(r.model))
    .map((r) => {
      const l = loss(r.model);
      const seedsOk = noMore(r.metric.std, base.metric.std);
      const shiftsOk = l === null || baseLoss === null || noMore(l, baseLoss);
      const shifts =
        l === null || baseLoss === null ? '' : `, loss under shift ${fmtMetric(l)} vs ${fmtMetric(baseLoss)}`;
      return {
        scenario: s.scenario,
        model: r.model,
        pays: seedsOk && shiftsOk && r.metric.n >= 2,
        rank: cost(s.metric, r.metric.mean),
        detail:
          r.metric.n < 2
            ? `${modelLabel(r.model)}: one seed, no spread to judge`
            : `${modelLabel(r.model)} seed std ${fmtMetric(r.metric.std)} vs ${fmtMetric(base.metric.std)}${shifts}`,
      };
    });
}

/** a ≤ b up to rounding (equal spreads computed in a different order differ in the last bits). */
const noMore = (a: number, b: number): boolean => a <= b + 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-12);

/** The seeds of a series' matched-budget finals in a scenario. */
const seedsOf = (results: Results, scenario: string, model: string): number[] =>
  results.seed_summary.find((r) => r.scenario === scenario && r.model === model)?.values.map((v) => v.seed) ?? [];

/**
 * The tables a start is judged by: as stored when it ran on the baseline's seeds; else the start's and the
 * baseline's summaries recomputed from their rows on the seeds both ran (a start's one-seed final against the
 * baseline's 3-seed mean would compare seeds, not starts). The target stays the baseline's over all its seeds.
 */
function onSharedSeeds(results: Results, scenario: string, model: string): { view: Results; seeds: number[] | null } {
  const own = seedsOf(results, scenario, model);
  const base = seedsOf(results, scenario, BASELINE_MODEL);
  const shared = own.filter((seed) => base.includes(seed));
  if (shared.length === own.length && shared.length === base.length) return { view: results, seeds: null };
  const keep = (r: { scenario: string; model: string; seed: number }): boolean =>
    r.scenario === scenario && (r.model === model || isBaseline(r.model)) && shared.includes(r.seed);
  const view: Results = {
    ...results,
    matched_summary: matchedSummary(results.anytime_rows.filter(keep)),
    compute_to_target_summary: computeToTargetSummary(results.compute_to_target_detail.filter(keep)),
    ood_summary: oodSummary(results.ood_rows.filter(keep)),
  };
  return { view, seeds: shared };
}

/**
 * Why a scenario's target says nothing about the cost of reaching it: a start meets it at its first checkpoint,
 * before any label has trained its head (QNLI at these sizes: 0.95 × backprop's final is below chance), so
 * reaching it measures the start's cost, not learning. Null when no such start does.
 */
export function trivialTarget(results: Results, scenario: string): string | null {
  const hit = results.compute_to_target_detail.find(
    (d) => d.scenario === scenario && d.reached && d.checkpoint_label === 'init' && headUntrainedAtInit(d.model),
  );
  if (!hit) return null;
  const t = results.targets.find((x) => x.scenario === scenario);
  const target = t ? ` (${lowerIsBetter(t.metric_name) ? '≤' : '≥'} ${fmtMetric(t.target)})` : '';
  return `${modelLabel(hit.model)} meets its target${target} before any training step, with an untrained head`;
}

/** Every start against the baseline, per question and scenario (each on the seeds it shares with the baseline). */
export function judgements(results: Results): Record<QuestionId, Judgement[]> {
  const out: Record<QuestionId, Judgement[]> = { quality: [], compute: [], wall_clock: [], stability: [] };
  for (const s of scenariosOf(results)) {
    const starts = new Set(
      [...results.matched_summary, ...results.compute_to_target_summary]
        .filter((r) => r.scenario === s.scenario && !isBaseline(r.model))
        .map((r) => r.model),
    );
    const trivial = trivialTarget(results, s.scenario) !== null; // the cost to it says nothing there
    for (const model of modelOrder([...starts])) {
      const { view, seeds } = onSharedSeeds(results, s.scenario, model);
      if (seeds !== null && seeds.length === 0) continue; // no seed to compare on
      const on = seeds === null ? '' : ` (${seeds.length > 1 ? 'seeds' : 'seed'} ${seeds.join(', ')})`;
      const judged: Record<QuestionId, Judgement[]> = {
        quality: quality(view, s),
        compute: trivial ? [] : toTarget(view, s, 'compute'),
        wall_clock: trivial ? [] : toTarget(view, s, 'wall_clock'),
        stability: stability(view, s),
      };
      for (const id of Object.keys(out) as QuestionId[]) {
        for (const j of judged[id].filter((x) => x.model === model)) {
          out[id].push({ ...j, detail: j.detail + on });
        }
      }
    }
  }
  return out;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The four answers, each from the best start of every scenario. */
export function answers(results: Results): Answer[] {
  const all = judgements(results);
  return QUESTIONS.map(({ id, question, claim }) => {
    const scenarios: ScenarioAnswer[] = [];
    const unjudged = (id === 'compute' || id === 'wall_clock' ? scenariosOf(results) : []).flatMap((s) => {
      const reason = trivialTarget(results, s.scenario);
      return reason === null ? [] : [{ scenario: s.scenario, reason }];
    });
    for (const s of scenariosOf(results)) {
      const own = all[id].filter((j) => j.scenario === s.scenario);
      if (own.length === 0) continue;
      const best = own.reduce((a, b) => (b.rank < a.rank ? b : a));
      scenarios.push({ scenario: s.scenario, title: s.title, model: best.model, pays: best.pays, detail: best.detail });
    }
    const yes = scenarios.filter((a) => a.pays);
    const no = scenarios.filter((a) => !a.pays);
    const summary =
      scenarios.length === 0
        ? `${claim}: no scenario to judge`
        : `${claim}: ${yes.length} of ${plural(scenarios.length, 'scenario')}`;
    const yesText = yes.map((a) => `${a.title}: ${a.detail}`).join('; ');
    const noText = no.map((a) => scenarioShort(a.scenario)).join(', ');
    const left = unjudged.map((u) => `${scenarioShort(u.scenario)} not judged: ${u.reason}`).join('; ');
    const evidence =
      scenarios.length === 0
        ? `No scenario has both ${modelLabel(BASELINE_MODEL)} and another start.`
        : [yes.length ? `${yesText}.` : '', no.length ? `Not in ${noText}.` : '', left ? `${left}.` : '']
            .filter(Boolean)
            .join(' ');
    const line =
      scenarios.length === 0
        ? `${summary}.`
        : `${summary}${yes.length ? ` (${yesText})` : ''}${no.length ? `; not in ${noText}` : ''}` +
          `${left ? `; ${left}` : ''}.`;
    return {
      id,
      question,
      claim,
      yes: yes.length,
      of: scenarios.length,
      scenarios,
      unjudged,
      summary,
      evidence,
      line,
    };
  });
}

/** Every start, the scenarios where it pays off per question: the answers for each start, not just the best. */
export function startsTable(results: Results): Table {
  const all = judgements(results);
  const starts = modelOrder(Object.values(all).flatMap((js) => js.map((j) => j.model)));
  const rows: Cell[][] = [];
  const csv: CsvValue[][] = [];
  for (const model of starts) {
    const cells = QUESTIONS.map(({ id }) => {
      const own = all[id].filter((j) => j.model === model);
      const yes = own.filter((j) => j.pays).map((j) => j.scenario);
      return { yes, of: own.length };
    });
    rows.push([
      { text: modelLabel(model) },
      ...cells.map(({ yes, of }) => ({
        text: of === 0 ? '–' : `${yes.length} of ${of}${yes.length ? `: ${yes.map(scenarioShort).join(', ')}` : ''}`,
      })),
    ]);
    csv.push([model, ...cells.flatMap(({ yes, of }) => [yes.length, of, yes.join(' ')])]);
  }
  const base = modelLabel(BASELINE_MODEL);
  return {
    id: 'starts',
    title: `Every start against ${base}`,
    note:
      `Scenarios where the start beats ${base}: a better matched-budget final; less compute or wall-clock to the ` +
      `target (reached in at least as many seeds; not judged where a start meets the target with an untrained ` +
      `head); no more spread over seeds and no larger loss under shift.`,
    columns: ['start', ...QUESTIONS.map((q) => q.question)],
    rows,
    prose: true,
    csv: {
      columns: ['model', ...QUESTIONS.flatMap((q) => [`${q.id}_scenarios`, `${q.id}_of`, `${q.id}_which`])],
      rows: csv,
    },
  };
}
