// End to end: `cfinit report` on the hand-made results.json writes SVG/PNG figures of the expected size, the
// tables, the verdict and report.html. In headless Chromium the page opens with the answers, renders every
// figure with tooltips at the page's width, offers each table as CSV and links tables and figures both ways;
// at phone width nothing but a table box scrolls sideways; in print no table is wider than an A4 page; in dark
// mode the figures turn dark too; tick labels never overlap.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildReport,
  loadResults,
  reportTables,
  ResultsError,
  PNG_SCALE,
  startsTable,
  tableCsv,
  writeReport,
  type ReportRecord,
} from '../../src/report/index.ts';
import { DARK } from '../../src/report/style.ts';
import type { Results } from '../../src/bench/results.ts';
import { COLUMNS, PANEL } from '../../src/report/specs.ts';
import { ConfigError } from '../../src/errors.ts';
import { makeResults } from './fixture.ts';
import { manyModels } from './many-models.ts';

const root = mkdtempSync(join(tmpdir(), 'cfinit-report-'));
const runDir = join(root, 'run');
mkdirSync(runDir);
after(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(join(runDir, 'results.json'), JSON.stringify(makeResults()));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let record: ReportRecord;

test('cfinit report writes figures, tables, verdict and the page', () => {
  const r = cli('report', runDir);
  assert.equal(r.status, 0, r.stderr);
  const out = join(runDir, 'report');
  for (const f of ['report.html', 'tables.md', 'verdict.json']) assert.ok(statSync(join(out, f)).size > 0, f);
  for (const name of ['anytime', 'pareto', 'low_data', 'ood', 'transfer']) {
    assert.ok(statSync(join(out, 'figures', `${name}.svg`)).size > 1000, `${name}.svg`);
    assert.ok(statSync(join(out, 'figures', `${name}.png`)).size > 10_000, `${name}.png`);
  }
  assert.match(r.stdout, /CF \+ CE head wins at matched budget/);
  // The answers come first, one line per question.
  assert.match(r.stdout, /^Same budget, better quality\? Better at the same budget: \d of 4 scenarios/);
  assert.deepEqual(
    r.stdout
      .split('\n')
      .slice(0, 4)
      .map((l) => l.split('?')[0]),
    [
      'Same budget, better quality',
      'Same target, less compute',
      'Same target, less wall-clock',
      'Stable across seeds and shifts',
    ],
  );
  const md = readFileSync(join(out, 'tables.md'), 'utf8');
  assert.match(md, /^### The answer\n\n- \*\*Same budget, better quality\?\*\* Better at the same budget/);
  const verdictJson = JSON.parse(readFileSync(join(out, 'verdict.json'), 'utf8'));
  assert.equal(verdictJson.answers.length, 4);
  assert.match(
    readFileSync(join(out, 'tables.md'), 'utf8'),
    /\| Covtype \/ MLP \| backprop \| accuracy \| \*\*0\.7757 ± 0\.0051\*\* \| 3 \| 0\.7561 \|/, // the winner, bold
  );
});

test('SVG and PNG sizes: PNG is the SVG at 2×, panels laid out per scenario', async () => {
  record = await buildReport({ results: join(runDir, 'results.json'), out: join(root, 'full') });
  const one = join(root, 'one');
  mkdirSync(one);
  const merged = makeResults(['wikitext2_next_token_transformer']);
  merged.metadata = { ...merged.metadata, jobs_without_identity: 2 }; // merged with --allow-mixed
  writeFileSync(join(one, 'results.json'), JSON.stringify(merged));
  const single = await buildReport({ results: one });
  assert.equal(single.out_dir, join(one, 'report'));
  // the Run table says how many job files had no identity to check; a run without them says nothing
  const unchecked = /<th scope="row">unchecked jobs<\/th><td>2 of \d+ job files of format 1 /;
  assert.match(readFileSync(join(one, 'report', 'report.html'), 'utf8'), unchecked);
  assert.doesNotMatch(readFileSync(join(record.out_dir, 'report.html'), 'utf8'), /unchecked jobs/);
  for (const [i, f] of record.figures.entries()) {
    const svg = readFileSync(f.svg, 'utf8');
    assert.match(svg, new RegExp(`^<svg[^>]* width="${f.width}" height="${f.height}"`));
    assert.deepEqual(pngSize(f.png), { width: f.png_width, height: f.png_height });
    assert.equal(f.png_width, Math.round(f.width * PNG_SCALE), `${f.name} png width`);
    assert.equal(f.png_height, Math.round(f.height * PNG_SCALE), `${f.name} png height`);
    // Two panels per row; OOD has one panel per scenario, so 2 rows of 2 where the others have 4 rows of 2.
    const rows = f.name === 'ood' ? 2 : 4;
    assert.ok(f.width > COLUMNS * PANEL.width, `${f.name}: ${f.width} px wide for ${COLUMNS} columns`);
    assert.ok(f.height > rows * PANEL.height, `${f.name}: ${f.height} px tall for ${rows} rows`);
    const s = single.figures[i]!;
    assert.equal(s.name, f.name);
    assert.ok(
      s.height < f.height - (rows - 1) * PANEL.height && s.height > PANEL.height,
      `${f.name}: one row ${s.height} px`,
    );
  }
});

test('a missing or malformed results file, or a file as --out, is a one-line user error', async () => {
  const r = cli('report', join(root, 'nowhere'));
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^cfinit: results: .*nowhere does not exist \(expected a benchmark results directory\)/);
  const bad = join(root, 'bad.json');
  const { ood_summary: _, ...rest } = makeResults(['covtype_mlp']);
  writeFileSync(bad, JSON.stringify(rest));
  assert.throws(
    () => loadResults(bad),
    (e: unknown) => e instanceof ResultsError && /'ood_summary'/.test(e.message),
  );
  await assert.rejects(
    buildReport({ results: runDir, out: join(runDir, 'results.json') }),
    (e: unknown) =>
      e instanceof ConfigError && /^--out: .*results\.json is a file \(expected a directory/.test(e.message),
  );
  writeFileSync(bad, '{ not json');
  assert.throws(
    () => loadResults(bad),
    (e: unknown) => e instanceof ResultsError && /not valid JSON/.test(e.message),
  );
});

const CHROMIUM = [process.env.CFINIT_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);

// Browser globals of the functions that run in the page (tsconfig has no DOM lib; module-scoped, so nothing leaks).
declare const document: any;
declare const window: any;
declare function getComputedStyle(e: unknown): { fontSize: string; fontWeight: string; backgroundColor: string };

type Page = import('playwright-core').Page;
type Browser = import('playwright-core').Browser;

/** A4 (210 mm) less the page's 12 mm side margins, in CSS px (96 per inch). */
const A4_CONTENT_PX = Math.floor(((210 - 2 * 12) / 25.4) * 96);

/** Opens a report page, waits for every figure, and collects console errors and network requests. */
async function open(
  browser: Browser,
  file: string,
  options: { width: number; colorScheme?: 'light' | 'dark'; media?: 'print' },
): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({
    viewport: { width: options.width, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
  });
  if (options.media) await page.emulateMedia({ media: options.media });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 60_000 });
  return { page, errors, requests };
}

/** Pairs of visible tick labels of one axis whose boxes overlap, over every figure. */
const overlappingTickLabels = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    const bad: string[] = [];
    for (const axis of document.querySelectorAll('.chart svg .role-axis')) {
      const labels = [...axis.querySelectorAll('.role-axis-label text')].filter(
        (t) => t.textContent && t.getAttribute('opacity') !== '0',
      );
      const boxes = labels.map((t) => t.getBoundingClientRect());
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i]!, boxes[j]!];
          const apart =
            a.right <= b.left + 0.5 || b.right <= a.left + 0.5 || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5;
          if (!apart) bad.push(`${labels[i]!.textContent} / ${labels[j]!.textContent}`);
        }
      }
    }
    return bad;
  });

/** Per figure: chart box width, drawing width, panels per row. */
const chartWidths = (page: Page): Promise<{ id: string; box: number; svg: number; columns: string | null }[]> =>
  page.$$eval('.chart', (els) =>
    els.map((el) => ({
      id: el.id,
      box: el.clientWidth,
      svg: el.querySelector('svg')!.getBoundingClientRect().width,
      columns: el.getAttribute('data-columns'),
    })),
  );

test('report.html in headless Chromium: answers first, figures, CSV, links, phone, print, dark', async (t) => {
  if (!CHROMIUM) {
    const msg = 'SKIPPED: no Chromium found (install it with `bash scripts/setup.sh --with-browser`)';
    console.log(`# ${msg}`);
    t.skip(msg);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const tables = [
    startsTable(loadResults(join(runDir, 'results.json'))),
    ...reportTables(loadResults(join(runDir, 'results.json'))),
  ];
  try {
    await t.test(
      '1280 px: the answers open the page; every figure fills the width with tooltips; offline',
      async () => {
        const { page, errors, requests } = await open(browser, record.page, { width: 1280 });
        // First thing after the title: the four answers, as computed.
        const first = await page.evaluate(
          () => document.querySelector('header')!.nextElementSibling?.nextElementSibling?.id,
        );
        assert.equal(first, 'answer');
        const dts = await page.locator('#answer dt').allInnerTexts();
        assert.deepEqual(
          dts,
          record.answers.map((a) => a.question),
        );
        assert.deepEqual(
          await page.locator('#answer .summary').allInnerTexts(),
          record.answers.map((a) => a.summary),
        );
        for (const f of record.figures) {
          const chart = page.locator(`#chart-${f.name}`);
          assert.equal(await chart.locator('svg').count(), 1, `${f.name} rendered one SVG`);
          const marks = chart.locator('svg .role-mark.mark-symbol path');
          assert.ok((await marks.count()) > 0, `${f.name} has marks`);
          await page.mouse.move(0, 0);
          await page.waitForFunction(`document.getElementById('tooltip').style.display !== 'block'`);
          await marks.first().hover({ force: true });
          await page.waitForFunction(`document.getElementById('tooltip').style.display === 'block'`);
          const tip = await page.locator('#tooltip').innerText();
          for (const key of ['scenario', 'model', 'seeds', 'checkpoint', 'value', 'compute', 'seconds']) {
            assert.match(tip, new RegExp(key), `${f.name} tooltip shows ${key}: ${tip}`);
          }
        }
        // Figures use the page's width: two panels per row, the drawing within 2 px of its box.
        for (const c of await chartWidths(page)) {
          assert.equal(c.columns, '2', c.id);
          assert.ok(c.svg <= c.box + 0.5 && c.svg >= c.box - 2, `${c.id}: ${c.svg} px in a ${c.box} px box`);
        }
        assert.deepEqual(await overlappingTickLabels(page), []);
        // Legends list the models each figure draws (the fixture draws all four in every figure).
        for (const f of record.figures) {
          const legend = await page.locator(`#chart-${f.name} .role-legend-label text`).allTextContents();
          assert.deepEqual(legend, ['backprop', 'CF + fine-tune', 'CF + CE head', 'closed-form ridge'], f.name);
        }
        assert.match(await page.locator('#verdict').innerText(), /wins at matched budget/);
        assert.deepEqual(errors, []);
        assert.deepEqual(requests, [], 'the page fetched nothing from the network');
        await page.screenshot({ path: join(record.out_dir, 'screenshot.png'), fullPage: true });
        assert.ok(statSync(join(record.out_dir, 'screenshot.png')).size > 50_000);
        await page.close();
      },
    );

    await t.test('bold marks winners only; every table downloads as CSV and links to its figure and back', async () => {
      const { page } = await open(browser, record.page, { width: 1280 });
      const bold = await page.$$eval('td, th, dd, li, p, span', (els) =>
        els
          .filter(
            (e) => Number(getComputedStyle(e).fontWeight) >= 600 && e.closest('thead, table.meta, #tooltip') === null,
          )
          .map((e) => `${e.tagName}.${e.className}`),
      );
      assert.ok(bold.length > 0);
      assert.deepEqual([...new Set(bold)], ['TD.winner']);
      assert.equal(bold.length, tables.flatMap((x) => x.rows.flat()).filter((cell) => cell.mark === 'winner').length);
      for (const table of tables) {
        const section = page.locator(`#table-${table.id}`);
        assert.equal(await section.locator('tbody tr').count(), table.rows.length, table.id);
        const link = section.locator('a.csv');
        assert.equal(await link.getAttribute('download'), `${table.id}.csv`);
        const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
        const csv = readFileSync((await download.path())!, 'utf8');
        assert.equal(csv, tableCsv(table), `${table.id}.csv`);
        assert.equal(csv.trimEnd().split('\r\n').length, table.rows.length + 1);
        if (table.figure) {
          assert.equal(await section.locator('a.to-figure').getAttribute('href'), `#figure-${table.figure}`);
          const back = page.locator(`#figure-${table.figure} a.to-table[href="#table-${table.id}"]`);
          assert.equal(await back.count(), 1, `figure ${table.figure} links back to ${table.id}`);
        }
      }
      // Every figure has a table, and every in-page link lands on an element.
      for (const f of record.figures)
        assert.ok(
          tables.some((x) => x.figure === f.name),
          `a table for ${f.name}`,
        );
      const dangling = await page.$$eval('a[href^="#"]', (as) =>
        as.map((a) => a.getAttribute('href')!).filter((h) => !document.getElementById(h.slice(1))),
      );
      assert.deepEqual(dangling, []);
      // Numbers in the CSV are the results' own (full precision), not the rounded display.
      const matched = readFileSync(join(runDir, 'results.json'), 'utf8');
      const bp = (JSON.parse(matched) as Results).matched_summary.find(
        (m) => m.scenario === 'covtype_mlp' && m.model === 'backprop',
      )!;
      assert.ok(
        tableCsv(tables.find((x) => x.id === 'matched')!).includes(`covtype_mlp,backprop,accuracy,${bp.metric.mean},`),
      );
      await page.close();
    });

    await t.test(
      '390 px: no sideways scrolling outside the table boxes, readable text, one panel per row',
      async () => {
        const { page, errors } = await open(browser, record.page, { width: 390 });
        assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390, 'the page itself fits');
        const wide = await page.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((e) => e.closest('.table-wrap, #tooltip, script') === null)
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((e) => `${e.tagName}#${e.id}.${e.getAttribute('class')}`),
        );
        assert.deepEqual(wide, []);
        // Wide tables scroll inside their own box.
        const wraps = await page.$$eval('.table-wrap', (ws) => ws.map((w) => [w.clientWidth, w.scrollWidth]));
        assert.ok(wraps.every(([client]) => client! <= 390));
        assert.ok(
          wraps.some(([client, scroll]) => scroll! > client!),
          'the matched table scrolls in its box',
        );
        const tiny = await page.$$eval('p, li, td, th, dt, dd, figcaption, a', (els) =>
          els
            .filter((e) => e.closest('#tooltip') === null && (e as any).innerText?.trim())
            .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 12)
            .map((e) => e.tagName),
        );
        assert.deepEqual(tiny, []);
        for (const c of await chartWidths(page)) {
          assert.equal(c.columns, '1', c.id);
          assert.ok(c.svg <= c.box + 0.5 && c.svg >= c.box - 2, `${c.id}: ${c.svg} px in a ${c.box} px box`);
        }
        assert.deepEqual(await overlappingTickLabels(page), []);
        assert.deepEqual(errors, []);
        await page.screenshot({ path: join(record.out_dir, 'screenshot-390.png'), fullPage: true });
        await page.close();
      },
    );

    await t.test('print: A4, no table wider than the page, no scroll boxes, nothing interactive', async () => {
      const { page } = await open(browser, record.page, { width: A4_CONTENT_PX, media: 'print' });
      const widths = await page.$$eval('table', (ts) =>
        ts.filter((x) => x.closest('#tooltip') === null).map((x) => [x.getBoundingClientRect().width, x.scrollWidth]),
      );
      assert.ok(widths.length >= tables.length);
      for (const [w, scroll] of widths) {
        assert.ok(
          w! <= A4_CONTENT_PX + 0.5 && scroll! <= A4_CONTENT_PX + 0.5,
          `a ${w} px table on a ${A4_CONTENT_PX} px page`,
        );
      }
      const cut = await page.$$eval(
        '.table-wrap',
        (ws) => ws.filter((w) => w.scrollWidth > w.clientWidth + 0.5).length,
      );
      assert.equal(cut, 0);
      assert.equal(await page.locator('a.csv').first().isVisible(), false);
      for (const c of await chartWidths(page)) assert.ok(c.svg <= c.box + 0.5, `${c.id} fits the page`);
      const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      assert.ok(pages >= 3, `${pages} A4 pages`);
      writeFileSync(join(record.out_dir, 'report.pdf'), pdf);
      await page.close();
    });

    await t.test('dark: page and figures follow prefers-color-scheme', async () => {
      const { page, errors } = await open(browser, record.page, { width: 1280, colorScheme: 'dark' });
      const rgb = (hex: string): string => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), rgb(DARK.background));
      for (const f of record.figures) {
        const chart = page.locator(`#chart-${f.name}`);
        assert.equal(await chart.getAttribute('data-theme'), 'dark');
        const fills = await chart.evaluate((el) => ({
          background: el.querySelector('svg')!.style.backgroundColor,
          labels: [
            ...new Set(
              [...el.querySelectorAll('.role-axis-label text, .role-legend-label text')].map((x) =>
                x.getAttribute('fill'),
              ),
            ),
          ],
        }));
        assert.equal(fills.background, rgb(DARK.background), f.name);
        assert.deepEqual(fills.labels, [DARK.ink], f.name);
      }
      assert.deepEqual(errors, []);
      await page.screenshot({ path: join(record.out_dir, 'screenshot-dark.png') });
      await page.close();
    });

    await t.test('ten models at 390 px: ten legend entries in ten colours, still no overlap', async () => {
      const results = manyModels(makeResults());
      const many = await writeReport(results, join(root, 'many', 'results.json'), join(root, 'many', 'report'));
      const { page, errors } = await open(browser, many.page, { width: 390 });
      for (const f of many.figures) {
        const entries = await page.locator(`#chart-${f.name} .role-legend-label text`).allTextContents();
        assert.equal(entries.length, 10, `${f.name}: ${entries.join(', ')}`);
        const colours = await page
          .locator(`#chart-${f.name} .role-legend-symbol path`)
          .evaluateAll((ps) => [...new Set(ps.map((p) => p.getAttribute('fill')))]);
        assert.equal(colours.length, 10, `${f.name}: ${colours.join(' ')}`);
      }
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 390);
      assert.deepEqual(await overlappingTickLabels(page), []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  } finally {
    await browser.close();
  }
});
