// `cfinit report <results-dir> [--out <dir>]`: figures, tables, verdict and report.html from a benchmark's results.
import type { Command } from 'commander';
import { buildReport } from '../../report/index.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description("turn a benchmark's results.json into figures (SVG, PNG), tables and one self-contained report.html")
    .argument('<results-dir>', 'benchmark output directory holding results.json (or the results.json file)')
    .option('--out <dir>', 'where to write the report (default: <results-dir>/report)')
    .action(async (resultsDir: string, opts: { out?: string }) => {
      const record = await buildReport({ results: resultsDir, out: opts.out });
      for (const a of record.answers) console.log(`${a.question} ${a.line}`);
      console.log('');
      for (const line of record.verdict.sentences) console.log(line);
      console.log('');
      for (const f of record.figures) console.log(`${f.png}  (${f.png_width}×${f.png_height})`);
      console.log(record.tables_markdown);
      console.log(record.page);
    });
}
