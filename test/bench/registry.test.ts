// The model and scenario registries drive the benchmark: the four reference models keep their job ids and their
// numbers bit for bit; the results schema's model list is the registry's; fit-size variants are jobs of their own
// with fewer fit rows, a cheaper start and so more fine-tune steps.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  benchIdentity,
  checkConfig,
  defaultConfig,
  enumerateJobs,
  jobId,
  parseFitFraction,
  planJobs,
  readJobResults,
  runJobs,
  scenarioGroupOpener,
  type JobResult,
} from '../../src/bench/index.ts';
import schema from '../../src/bench/results.schema.json' with { type: 'json' };
import { scenarioEntry } from '../../src/data/index.ts';
import { liveTensors } from '../../src/torch/index.ts';
import { MODELS, MODEL_NAMES, modelSpec, seriesLabel } from '../../src/train/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-registry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const quickCovtype = (extra: Partial<ReturnType<typeof defaultConfig>> = {}) =>
  checkConfig({ ...defaultConfig(true), scenarios: ['covtype_mlp'], ...extra });

interface Recorded {
  rows: Record<string, unknown>[];
  ood?: Record<string, unknown>[];
  transfer?: Record<string, number>;
}

test('seed-7 covtype quick run: the four reference models give the recorded finals bit for bit, same job ids', async () => {
  const fixture = JSON.parse(
    readFileSync(join(root, 'test', 'fixtures', 'regression', 'covtype-seed7-quick.json'), 'utf8'),
  ) as { jobs: Record<string, Recorded> };
  const config = quickCovtype();
  const jobs = enumerateJobs(config);
  assert.deepEqual(jobs.map((j) => j.id).sort(), Object.keys(fixture.jobs).sort(), 'job ids unchanged');
  const out = join(tmp, 'regression');
  const live = liveTensors();
  await runJobs(jobs, {
    outDir: out,
    open: scenarioGroupOpener(config, join(root, 'samples'), join(tmp, 'cache')),
    identity: benchIdentity(config, join(root, 'samples')),
  });
  assert.equal(liveTensors(), live, 'tensors left alive after the jobs');
  for (const r of readJobResults([out])) {
    const want = fixture.jobs[r.job.id]!;
    assert.equal(r.rows.length, want.rows.length, `${r.job.id}: checkpoints`);
    want.rows.forEach((w, i) => {
      for (const [k, v] of Object.entries(w)) {
        assert.equal((r.rows[i] as unknown as Record<string, unknown>)[k], v, `${r.job.id} row ${i} ${k}`);
      }
    });
    (want.ood ?? []).forEach((w, i) => {
      assert.equal(r.ood[i]!.variant, w.variant);
      assert.equal(r.ood[i]!.metric_value, w.metric_value, `${r.job.id} ood ${w.variant}`);
    });
    if (want.transfer) {
      assert.equal(r.transfer!.row.metric_value, want.transfer.metric_value, `${r.job.id} transfer metric`);
      assert.equal(r.transfer!.row.total_compute_proxy, want.transfer.total_compute_proxy);
      assert.equal(r.transfer!.shared_compute_proxy, want.transfer.shared_compute_proxy);
    }
  }
});

test("the results schema's model list is the registry's; every model has its own label and colour", () => {
  const defs = (schema as { definitions: Record<string, { enum?: string[] }> }).definitions;
  assert.deepEqual(defs.model!.enum, [...MODEL_NAMES]);
  assert.equal(new Set(MODELS.map((m) => m.label)).size, MODELS.length);
  assert.equal(new Set(MODELS.map((m) => m.colour)).size, MODELS.length);
  for (const m of MODELS) assert.match(m.colour, /^#[0-9a-f]{6}$/);
  assert.equal(seriesLabel('cf-ce-head', 0.0625), 'CF + CE head (fit 1/16)');
  assert.equal(seriesLabel('cf-ce-head', 'auto'), 'CF + CE head (fit auto)');
  assert.equal(seriesLabel('backprop'), 'backprop');
  assert.throws(() => modelSpec('cf-nope', '--models'), /--models must be one of backprop, cf-finetune/);
  assert.throws(() => scenarioEntry('nope', '--scenarios'), /--scenarios must be one of covtype_mlp/);
});

test('fit fractions: 1, 1/16, 0.0625 and auto parse; job ids of f = 1 are unchanged and variants get .fit<f>', () => {
  assert.equal(parseFitFraction('1/16'), 0.0625);
  assert.equal(parseFitFraction('0.0625'), 0.0625);
  assert.equal(parseFitFraction('auto'), 'auto');
  assert.throws(() => parseFitFraction('0'), /--fit-fractions/);
  assert.throws(() => parseFitFraction('1.5'), /--fit-fractions/);
  assert.throws(() => parseFitFraction('half'), /--fit-fractions/);
  assert.throws(() => quickCovtype({ fitFractions: [1, 1] }), /listed twice/);
  const jobs = enumerateJobs(quickCovtype({ fitFractions: [1, 0.0625] }));
  const base = enumerateJobs(quickCovtype());
  for (const j of base)
    assert.ok(
      jobs.some((k) => k.id === j.id),
      `${j.id} kept`,
    );
  const variants = jobs.filter((j) => j.fitFraction !== 1);
  // every closed-form model, in every regime: anytime 3 + low-data 3 + transfer 3 × 3
  assert.equal(variants.length, 3 + 3 + 9);
  assert.ok(
    variants.every((j) => modelSpec(j.model).usesFit && j.id === `${jobId({ ...j, fitFraction: 1 })}.fit0.0625`),
  );
  assert.equal(jobs.filter((j) => j.model === 'backprop').length, base.filter((j) => j.model === 'backprop').length);
  assert.deepEqual(planJobs(quickCovtype()).skipped, []);
});

test('a 1/16 fit uses ⌈N/16⌉ rows, costs less in the proxy and leaves cf-finetune more steps; auto records its rows', async () => {
  const config = quickCovtype({ regimes: ['anytime'], fitFractions: [1, 0.0625, 'auto'] });
  const out = join(tmp, 'fit-fractions');
  await runJobs(enumerateJobs(config), {
    outDir: out,
    open: scenarioGroupOpener(config, join(root, 'samples'), join(tmp, 'cache')),
    identity: benchIdentity(config, join(root, 'samples')),
  });
  const results = readJobResults([out]);
  const job = (model: string, f: number | 'auto'): JobResult =>
    results.find((r) => r.job.model === model && r.job.fitFraction === f)!;
  for (const model of ['cf-finetune', 'cf-ce-head', 'cf-ridge']) {
    const full = job(model, 1).rows[0]!;
    const part = job(model, 0.0625).rows[0]!;
    assert.equal(full.fit_rows, 400);
    assert.equal(part.fit_rows, 25);
    assert.equal(part.fit_fraction, 0.0625);
    assert.ok(part.init_compute_proxy < full.init_compute_proxy, `${model}: the 1/16 fit is cheaper`);
    assert.equal(job(model, 0.0625).fit!.fit_rows, 25);
    const auto = job(model, 'auto');
    assert.ok(auto.fit!.probe_rows === auto.fit!.fit_rows && auto.fit!.fit_rows <= 400);
  }
  const steps = (f: number) => job('cf-finetune', f).rows.at(-1)!.steps_total;
  assert.ok(steps(0.0625) > steps(1), `fine-tune steps ${steps(1)} → ${steps(0.0625)}`);
  assert.equal(job('backprop', 1).rows[0]!.fit_rows, null);
});
