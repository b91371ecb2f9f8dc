// `cfinit report`: results.json → figures (Vega-Lite → SVG in Node → PNG), tables, verdict and one
// self-contained report.html. Reads results only; never trains. Every write is atomic.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.ts';
import { makeDir, writeFileAtomic } from '../fsio.ts';
import type { Results } from '../bench/results.ts';
import { loadResults, resultsFile } from './load.ts';
import { bySeries } from './style.ts';
import { figureSpecs, type FigureSpec } from './specs.ts';
import { compileSpec, renderSvg, svgToPng } from './render.ts';
import { reportTables, tableMarkdown } from './tables.ts';
import { verdict as computeVerdict, type Verdict } from './verdict.ts';
import { answers as computeAnswers, startsTable, type Answer } from './answers.ts';
import { pageHtml } from './page.ts';

export { loadResults, ResultsError } from './load.ts';
export { figureSpecs, type FigureSpec } from './specs.ts';
export { compileSpec, renderSvg, svgToPng } from './render.ts';
export {
  matchedTable,
  computeToTargetTable,
  lowDataTable,
  oodTable,
  transferTable,
  reportTables,
  tableMarkdown,
  tableHtml,
  tableCsv,
  type Table,
  type Cell,
} from './tables.ts';
export { verdict, type Verdict } from './verdict.ts';
export { answers, judgements, startsTable, trivialTarget, QUESTIONS, type Answer, type Judgement } from './answers.ts';

/** PNGs are rendered at this multiple of the figures' CSS pixel size. */
export const PNG_SCALE = 2;

export interface ReportOptions {
  /** A results directory (holding results.json) or the file itself. */
  results: string;
  /** Output directory; default `<results dir>/report`. */
  out?: string;
}

export interface FigureRecord {
  name: FigureSpec['name'];
  svg: string;
  png: string;
  /** CSS pixels of the SVG; the PNG is PNG_SCALE times this. */
  width: number;
  height: number;
  png_width: number;
  png_height: number;
}

/** What `cfinit report` wrote. */
export interface ReportRecord {
  results_file: string;
  out_dir: string;
  page: string;
  tables_markdown: string;
  verdict_file: string;
  figures: FigureRecord[];
  /** One per question, in the page's order. */
  answers: Answer[];
  verdict: Verdict;
}

/** The vega runtime the page inlines (vega's package exports only its module build; the UMD one sits beside it). */
export function vegaRuntime(): string {
  return readFileSync(join(dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.min.js'), 'utf8');
}

const svgSize = (svg: string): { width: number; height: number } => {
  const m = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  return { width: Number(m?.[1] ?? NaN), height: Number(m?.[2] ?? NaN) };
};

/** `cfinit report`: read and check the results file, then writeReport. */
export async function buildReport(options: ReportOptions): Promise<ReportRecord> {
  const file = resolve(resultsFile(options.results));
  const results = bySeries(loadResults(file)); // fit-fraction variants are series of their own
  return writeReport(results, file, resolve(options.out ?? join(dirname(file), 'report')));
}

/** Figures, tables, verdict and page of already-checked results (`file` is named on the page). */
export async function writeReport(results: Results, file: string, outDir: string): Promise<ReportRecord> {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) {
    throw new ConfigError(`--out: ${outDir} is a file (expected a directory to write the report into)`);
  }
  makeDir(join(outDir, 'figures'));
  const figures: FigureRecord[] = [];
  const pageFigures = [];
  for (const f of figureSpecs(results)) {
    const { vega } = compileSpec(f.spec);
    const svg = await renderSvg(vega, 1);
    const png = svgToPng(await renderSvg(vega, PNG_SCALE));
    const record: FigureRecord = {
      name: f.name,
      svg: join(outDir, 'figures', `${f.name}.svg`),
      png: join(outDir, 'figures', `${f.name}.png`),
      ...svgSize(svg),
      png_width: png.width,
      png_height: png.height,
    };
    writeFileAtomic(record.svg, svg);
    writeFileAtomic(record.png, png.png);
    figures.push(record);
    pageFigures.push({ name: f.name, title: f.title, caption: f.caption, vega });
  }
  const starts = startsTable(results);
  const tables = [...(starts.rows.length > 0 ? [starts] : []), ...reportTables(results)];
  const verdict = computeVerdict(results);
  const answers = computeAnswers(results);
  const page = join(outDir, 'report.html');
  const html = pageHtml({
    results,
    answers,
    figures: pageFigures,
    tables,
    verdict,
    vegaJs: vegaRuntime(),
    source: relative(outDir, file), // the page names its results file where it sits, wherever the pair is copied
  });
  writeFileAtomic(page, html);
  const tablesMarkdown = join(outDir, 'tables.md');
  const answerLines = answers.map((a) => `- **${a.question}** ${a.line}`).join('\n');
  writeFileAtomic(tablesMarkdown, `### The answer\n\n${answerLines}\n\n${tables.map(tableMarkdown).join('\n\n')}\n`);
  const verdictFile = join(outDir, 'verdict.json');
  writeFileAtomic(verdictFile, `${JSON.stringify({ ...verdict, answers }, null, 2)}\n`);
  return {
    results_file: file,
    out_dir: outDir,
    page,
    tables_markdown: tablesMarkdown,
    verdict_file: verdictFile,
    figures,
    answers,
    verdict,
  };
}
