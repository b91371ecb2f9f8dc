// The fit cache: a second run (a resume, another shard) reads the fit and features the first one saved instead of
// refitting, with the same numbers and the fit cost measured the first time; a corrupt or misfiled entry is said,
// removed and recomputed; another seed or fit fraction is another entry.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  benchIdentity,
  checkConfig,
  defaultConfig,
  enumerateJobs,
  runJobs,
  scenarioGroupOpener,
  type BenchConfig,
  type JobResult,
} from '../../src/bench/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-fitcache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const config = (scenario: string, seeds: number[], fitFractions: BenchConfig['fitFractions']): BenchConfig =>
  checkConfig({
    ...defaultConfig(true),
    scenarios: [scenario],
    seeds,
    regimes: ['anytime'],
    models: ['cf-ce-head', 'cf-ridge'],
    fitFractions,
    rows: { nTrain: 64, nTest: 32 },
    fractions: { anytime: [1], lowData: [0.5], lowDataCheckpoints: [1], transfer: [1] },
  });

async function run(c: BenchConfig, out: string, cache: string | null, lines: string[] = []): Promise<JobResult[]> {
  const results: JobResult[] = [];
  const fitCache = { dir: cache, say: (l: string) => lines.push(l) };
  const open = scenarioGroupOpener(c, join(root, 'samples'), join(tmp, 'data-cache'), { fitCache });
  await runJobs(enumerateJobs(c), {
    outDir: join(tmp, out),
    open,
    identity: benchIdentity(c, join(root, 'samples')),
    onJobDone: (r: JobResult) => results.push(r),
  });
  return results;
}

const finals = (rs: JobResult[]) =>
  rs.map((r) => ({ id: r.job.model, fit: r.fit, metric: r.rows[r.rows.length - 1]!.metric_value }));

for (const scenario of ['covtype_mlp', 'qnli_transformer']) {
  test(`${scenario}: a second run reads the cached fit and features: same numbers, the first fit's cost`, async () => {
    const cache = join(tmp, `fits-${scenario}`);
    const c = config(scenario, [7], [1, 0.5]);
    const first = await run(c, `${scenario}-a`, cache);
    const entries = readdirSync(cache).filter((n) => !n.startsWith('.'));
    assert.equal(entries.length, 2, 'one entry per fit fraction');
    const second = await run(c, `${scenario}-b`, cache);
    assert.deepEqual(finals(second), finals(first)); // fit_sec equal to the microsecond: nothing was refitted
    assert.deepEqual(
      readdirSync(cache).filter((n) => !n.startsWith('.')),
      entries,
    );
    const fresh = await run(c, `${scenario}-c`, null);
    assert.deepEqual(
      finals(fresh).map(({ id, metric }) => ({ id, metric })),
      finals(first).map(({ id, metric }) => ({ id, metric })),
      'the cached fit gives the numbers of a fit made on the spot',
    );
  });
}

test('a corrupt or misfiled entry is said in a line, removed and recomputed; another seed is another entry', async () => {
  const cache = join(tmp, 'fits-corrupt');
  const c = config('covtype_mlp', [7], [1]);
  const first = await run(c, 'corrupt-a', cache);
  const [entry] = readdirSync(cache);
  writeFileSync(join(cache, entry!, 'encoder.safetensors'), 'not a safetensors file');
  const lines: string[] = [];
  const second = await run(c, 'corrupt-b', cache, lines);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /fit cache: .* cannot be read .*; recomputing it/);
  assert.deepEqual(
    finals(second).map((f) => f.metric),
    finals(first).map((f) => f.metric),
  );
  assert.notEqual(second[0]!.fit!.fit_sec, first[0]!.fit!.fit_sec, 'refitted, so timed anew');
  writeFileSync(join(cache, entry!, 'key.json'), '{"format":1}');
  const misfiled: string[] = [];
  await run(c, 'corrupt-c', cache, misfiled);
  assert.match(misfiled[0]!, /its key.json is not the key it is filed under; recomputing it/);
  await run(config('covtype_mlp', [11], [1]), 'corrupt-d', cache);
  assert.equal(readdirSync(cache).filter((n) => !n.startsWith('.')).length, 2);
});
