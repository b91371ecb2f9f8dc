// The published runs in docs/results/<date>/: each committed report is exactly what `cfinit report` makes of the
// committed results.json beside it (page, tables, verdict, figures), so the numbers on the page and in the README
// cannot drift from the data.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { buildReport } from '../../src/report/index.ts';

const published = resolve(import.meta.dirname, '..', '..', 'docs', 'results');
const runs = existsSync(published)
  ? readdirSync(published).filter((d) => existsSync(join(published, d, 'results.json')))
  : [];
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-published-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('docs/results holds at least one published run', () => {
  assert.ok(runs.length > 0, `no docs/results/<date>/results.json under ${published}`);
});

for (const run of runs) {
  test(`docs/results/${run}: the committed report is what cfinit report makes of its results.json`, async () => {
    const dir = join(tmp, run);
    mkdirSync(dir);
    copyFileSync(join(published, run, 'results.json'), join(dir, 'results.json'));
    await buildReport({ results: dir });
    const committed = join(published, run, 'report');
    const made = join(dir, 'report');
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
        .sort();
    assert.deepEqual(files(committed), files(made), 'the same files');
    for (const f of files(made).filter((name) => !name.endsWith('.png'))) {
      assert.ok(
        readFileSync(join(committed, f)).equals(readFileSync(join(made, f))),
        `${f} differs; rerun cfinit report`,
      );
    }
  });
}

test("the README's published block is copied from the run it cites: every table row and answer line", () => {
  const readme = readFileSync(resolve(published, '..', '..', 'README.md'), 'utf8');
  const block =
    /<!-- published:begin: copied from (docs\/results\/[^/]+)\/report\/tables\.md[^>]*-->([\s\S]*?)<!-- published:end -->/.exec(
      readme,
    );
  assert.ok(block, 'README has a published block naming its run');
  const tables = readFileSync(resolve(published, '..', '..', block[1]!, 'report', 'tables.md'), 'utf8');
  const lines = block[2]!.split('\n').filter((l) => l.startsWith('| ') || l.startsWith('- **'));
  assert.ok(lines.length > 20, `${lines.length} lines`);
  for (const line of lines)
    assert.ok(tables.includes(line), `README line not in ${block[1]}/report/tables.md: ${line}`);
});
