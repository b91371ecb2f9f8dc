// End to end: `cfinit report` on the hand-made results.json writes SVG/PNG figures of the expected size, the
// tables, the verdict and report.html; the page renders every figure with tooltips in headless Chromium.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, loadResults, ResultsError, PNG_SCALE, type ReportRecord } from '../../src/report/index.ts';
import { PANEL } from '../../src/report/specs.ts';
import { ConfigError } from '../../src/errors.ts';
import { makeResults } from './fixture.ts';

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
  assert.match(
    readFileSync(join(out, 'tables.md'), 'utf8'),
    /\| Covtype \/ MLP \| backprop \| accuracy \| 0\.7757 ± 0\.0051 \| 3 \| 0\.7561 \|/,
  );
});

test('SVG and PNG sizes: PNG is the SVG at 2×, panels laid out per scenario', async () => {
  record = await buildReport({ results: join(runDir, 'results.json'), out: join(root, 'full') });
  const one = join(root, 'one');
  mkdirSync(one);
  writeFileSync(join(one, 'results.json'), JSON.stringify(makeResults(['wikitext2_next_token_transformer'])));
  const single = await buildReport({ results: one });
  assert.equal(single.out_dir, join(one, 'report'));
  for (const [i, f] of record.figures.entries()) {
    const svg = readFileSync(f.svg, 'utf8');
    assert.match(svg, new RegExp(`^<svg[^>]* width="${f.width}" height="${f.height}"`));
    assert.deepEqual(pngSize(f.png), { width: f.png_width, height: f.png_height });
    assert.equal(f.png_width, Math.round(f.width * PNG_SCALE), `${f.name} png width`);
    assert.equal(f.png_height, Math.round(f.height * PNG_SCALE), `${f.name} png height`);
    const panels = f.name === 'ood' ? 1 : 2;
    assert.ok(f.width > panels * PANEL.width, `${f.name}: ${f.width} px wide for ${panels} panels`);
    assert.ok(f.height > 4 * PANEL.height, `${f.name}: ${f.height} px tall for 4 rows`);
    const s = single.figures[i]!;
    assert.equal(s.name, f.name);
    assert.ok(s.height < f.height - 3 * PANEL.height && s.height > PANEL.height, `${f.name}: one row ${s.height} px`);
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

test('report.html renders every figure offline with tooltips (headless Chromium)', async (t) => {
  if (!CHROMIUM) {
    const msg = 'SKIPPED: no Chromium found (install it with `bash scripts/setup.sh --with-browser`)';
    console.log(`# ${msg}`);
    t.skip(msg);
    return;
  }
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    offline: true,
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
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`file://${record.page}`);
    await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 });
    for (const f of record.figures) {
      const chart = page.locator(`#chart-${f.name}`);
      assert.equal(await chart.locator('svg').count(), 1, `${f.name} rendered one SVG`);
      const marks = chart.locator('svg .mark-symbol path, svg .mark-rect path');
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
    assert.match(await page.locator('#verdict').innerText(), /wins at matched budget/);
    assert.equal((await page.locator('table').count()) >= 3, true);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'the page fetched nothing from the network');
    await page.locator('#figure-anytime').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(record.out_dir, 'screenshot.png'), fullPage: true });
    assert.ok(statSync(join(record.out_dir, 'screenshot.png')).size > 50_000);
  } finally {
    await context.close();
  }
});
