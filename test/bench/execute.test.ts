// The real job executor on the packaged covtype sample at tiny sizes: every job writes rows with the proxy's
// compute, and a finished group leaves no live tensors behind (memory stays flat from scenario to scenario).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  benchIdentity,
  budgets,
  checkConfig,
  defaultConfig,
  enumerateJobs,
  readJobResults,
  runJobs,
  scenarioGroupOpener,
} from '../../src/bench/index.ts';
import { liveTensors } from '../../src/torch/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-bench-exec-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('real jobs on covtype: matched compute, complete rows, no tensors left after the group closes', async () => {
  const config = checkConfig({
    ...defaultConfig(true),
    scenarios: ['covtype_mlp'],
    rows: { nTrain: 60, nTest: 30 },
    fractions: { anytime: [0.5, 1], lowData: [0.5], lowDataCheckpoints: [1], transfer: [0.5, 1] },
  });
  const jobs = enumerateJobs(config);
  const live = liveTensors();
  await runJobs(jobs, {
    outDir: tmp,
    open: scenarioGroupOpener(config, join(root, 'samples'), join(tmp, 'cache')),
    identity: benchIdentity(config, join(root, 'samples')),
  });
  assert.equal(liveTensors(), live, 'tensors left alive after the jobs');
  const results = readJobResults([tmp]);
  assert.equal(results.length, jobs.length);
  const anytime = (m: string) => results.find((r) => r.job.regime === 'anytime' && r.job.model === m)!;
  const b = budgets({
    architecture: 'mlp',
    nTrain: 60,
    nTest: 30,
    classes: 7,
    tokens: 0,
    dim: 54,
    closedForm: { depth: 3, heads: 0, landmarks: 0 },
    fitRows: 60,
    probeRows: 0,
  });
  const bp = anytime('backprop').rows;
  assert.equal(bp[bp.length - 1]!.step, b.backpropSteps);
  assert.equal(bp[bp.length - 1]!.total_compute_proxy, b.backprop);
  const ft = anytime('cf-finetune').rows;
  assert.equal(ft[0]!.checkpoint_label, 'init');
  assert.equal(ft[0]!.total_compute_proxy, b.init);
  assert.equal(ft[ft.length - 1]!.step, b.fineTuneSteps);
  assert.ok(ft[ft.length - 1]!.total_compute_proxy <= b.backprop);
  assert.equal(anytime('cf-ridge').rows[0]!.total_compute_proxy, b.ridge);
  assert.ok(anytime('backprop').ood.length === 2 && anytime('backprop').ood.every((o) => Number.isFinite(o.delta)));
  const transfer = results.filter((r) => r.job.regime === 'transfer').map((r) => r.transfer!);
  assert.ok(transfer.every((t) => t.shared_compute_proxy >= b.init && t.row.metric_value >= 0));
});
