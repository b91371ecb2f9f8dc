// The report page and its files: inlined JSON survives any string (`<!--`, `</script>`), the page states what the
// run was (N jobs, memory to 0.1 GB), verdict.json says "tie" when the page does, and the report's files are
// written atomically and never through a symbolic link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileWriteError } from '../../src/fsio.ts';
import { inlineJson, pageHtml } from '../../src/report/page.ts';
import { answers, loadResults, reportTables, ResultsError, verdict, writeReport } from '../../src/report/index.ts';
import { validateResults, type Results } from '../../src/bench/index.ts';
import { makeResults } from '../report/fixture.ts';
import { tempDir, write } from '../data/fixtures.ts';

const hostile = 'a <!-- comment opener, a </script> and a \u2028 line separator';

test('JSON inlined in the page escapes every < as \\u003c and parses back to the same value', () => {
  const text = inlineJson({ hostile, n: 1 });
  assert.doesNotMatch(text, /</);
  assert.deepEqual(JSON.parse(text), { hostile, n: 1 });
  const results = makeResults();
  const html = pageHtml({
    results,
    answers: answers(results),
    figures: [{ name: 'anytime', title: 'figure', caption: 'caption', vega: { description: hostile } }],
    tables: reportTables(results),
    verdict: verdict(results),
    vegaJs: '',
    source: 'results.json',
  });
  const specs = /<script type="application\/json" id="specs">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(specs !== undefined, 'the specs script element is whole');
  assert.equal((JSON.parse(specs) as Record<string, { description: string }>).anytime!.description, hostile);
  assert.equal(html.split('<!--').length, 1, 'no comment opener reaches the page');
});

test('the run section says N jobs (not "parallel jobs") and memory to 0.1 GB', () => {
  const results = makeResults();
  results.metadata.jobs = 68;
  results.metadata.machine.memory_gb = 23.54025650024414;
  const html = pageHtml({
    results,
    answers: answers(results),
    figures: [],
    tables: [],
    verdict: verdict(results),
    vegaJs: '',
    source: 'results.json',
  });
  assert.match(html, /68 jobs/);
  assert.doesNotMatch(html, /parallel/);
  assert.match(html, /23\.5 GB/);
  assert.doesNotMatch(html, /23\.54/);
});

test('a tie at matched budget names no winner in verdict.json, as the printed verdict says', () => {
  const results = makeResults();
  const cov = results.matched_summary.filter((m) => m.scenario === 'covtype_mlp');
  const best = Math.max(...cov.map((m) => m.metric.mean));
  for (const m of cov.slice(0, 2)) m.metric = { ...m.metric, mean: best + 0.01 };
  const v = verdict(results);
  const w = v.winners.find((x) => x.scenario === 'covtype_mlp')!;
  assert.equal(w.model, null);
  assert.deepEqual(
    w.tied.sort(),
    cov
      .slice(0, 2)
      .map((m) => m.model)
      .sort(),
  );
  assert.match(
    v.sentences.find((s) => s.startsWith('Covtype'))!,
    / tie at matched budget/,
  );
});

test('report files are never written through a symbolic link; the linked file is untouched', async () => {
  const dir = tempDir('h19-report');
  const file = write(join(dir, 'results.json'), JSON.stringify(makeResults()));
  const out = join(dir, 'report');
  const precious = write(join(tempDir('h19-report-precious'), 'index.html'), 'precious');
  write(join(out, 'figures', '.keep'), '');
  symlinkSync(precious, join(out, 'report.html'));
  await assert.rejects(
    writeReport(makeResults(), file, out),
    (err: Error) => err instanceof FileWriteError && /report\.html: is a symbolic link/.test(err.message),
  );
  assert.equal(readFileSync(precious, 'utf8'), 'precious');
  writeFileSync(precious, 'precious');
});

test('results.json values are finite and in range: 1e999, a negative compute or an accuracy of 2 never reach a verdict', () => {
  const dir = tempDir('h19-range');
  const good = JSON.stringify(makeResults());
  validateResults(JSON.parse(good));
  const cases: [string, (r: Results) => void, RegExp][] = [
    ['compute 1e999', (r) => (r.anytime_rows[0]!.total_compute_proxy = 1e999), /total_compute_proxy must be <=/],
    ['negative compute', (r) => (r.anytime_rows[0]!.total_compute_proxy = -5), /total_compute_proxy must be >= 0/],
    ['accuracy 2', (r) => (r.anytime_rows[0]!.accuracy = 2), /accuracy must be <= 1/],
    ['negative CI', (r) => (r.matched_summary[0]!.metric.ci95 = -1), /ci95 must be >= 0/],
    ['infinite CI', (r) => (r.matched_summary[0]!.metric.ci95 = 1e999), /ci95 must be <=/],
  ];
  for (const [what, spoil, pattern] of cases) {
    // 1e999 as JSON text parses to Infinity: write it as text, as a hostile file would hold it
    const r = JSON.parse(good) as Results;
    spoil(r);
    const text = JSON.stringify(r, (_k, v) => (v === Infinity ? '__INF__' : v)).replace(/"__INF__"/g, '1e999');
    const file = write(join(dir, `${what.replace(/ /g, '-')}.json`), text);
    assert.throws(
      () => loadResults(file),
      (err: Error) => err instanceof ResultsError && pattern.test(err.message) && !err.message.includes('\n'),
      what,
    );
    assert.throws(() => validateResults(JSON.parse(text)), pattern, what);
  }
});

test('report into a symlink loop, a full or a read-only folder: one-line FileWriteError, previous page intact', async (t) => {
  const dir = tempDir('h19-report-fs');
  const file = write(join(dir, 'results.json'), JSON.stringify(makeResults()));
  symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
  const oneLine = (pattern: RegExp) => (err: Error) =>
    err instanceof FileWriteError && pattern.test(err.message) && !err.message.includes('\n');
  await assert.rejects(writeReport(makeResults(), file, join(dir, 'loop')), oneLine(/loop\/figures: cannot .*ELOOP/));
  const mnt = tempDir('h19-report-tmpfs');
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()})`);
    return;
  }
  try {
    write(join(mnt, 'report.html'), 'previous page');
    await assert.rejects(writeReport(makeResults(), file, mnt), oneLine(/: cannot write the file \(ENOSPC/));
    assert.equal(readFileSync(join(mnt, 'report.html'), 'utf8'), 'previous page');
    spawnSync('mount', ['-o', 'remount,ro', mnt]);
    await assert.rejects(writeReport(makeResults(), file, mnt), oneLine(/EROFS/));
  } finally {
    spawnSync('umount', [mnt]);
  }
});
