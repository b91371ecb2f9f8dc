// The four scenarios from the real datasets (../shared/data or CFINIT_DATA_DIR): the files are the ones
// SHA256SUMS lists, every scenario loads with the reference's shapes, and a seed fixes the draw. Skipped, in one
// line, when there is no dataset folder (a bare clone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario, SCENARIO_NAMES, tensorChecksum, type Scenario } from '../../src/data/index.ts';
import { dispose } from '../../src/torch/index.ts';
import { SCENARIO_SHAPES } from '../../src/reference.ts';
import { realDataDir } from '../helpers.ts';
import { tempDir } from './fixtures.ts';

const EXPECTED_INPUT: Record<string, number[]> = {
  covtype_mlp: [54],
  cifar100_transformer: [16, 192],
  qnli_transformer: [80, 64],
  wikitext2_next_token_transformer: [64, 64],
};

function fingerprint(s: Scenario): string {
  return tensorChecksum([s.train.raw, s.train.labels, s.test.raw, s.test.labels]);
}

test('the real datasets: checksums match, the four scenarios load with the reference shapes, a seed fixes the draw', async (t) => {
  const dataDir = realDataDir(t);
  if (dataDir === undefined) return;
  const sums = join(dataDir, 'SHA256SUMS');
  const lines = existsSync(sums) ? readFileSync(sums, 'utf8').split('\n') : [];
  for (const [, hash, file] of lines.map((l) => /^([0-9a-f]{64}) [ *](.+)$/.exec(l.trim())).filter((m) => m !== null)) {
    const actual: string = createHash('sha256')
      .update(readFileSync(join(dataDir, file!)))
      .digest('hex');
    assert.equal(actual, hash, `${file}: sha256 differs from SHA256SUMS`);
  }
  const cacheDir = tempDir('real-data-cache');
  for (const name of SCENARIO_NAMES) {
    const shape = SCENARIO_SHAPES[name];
    const load = (seed: number): Promise<Scenario> => loadScenario(name, { dataDir, cacheDir, seed });
    const [a, b, other] = [await load(7), await load(7), await load(11)];
    try {
      assert.deepEqual(a.inputShape, EXPECTED_INPUT[name], `${name}: encoded input shape`);
      assert.equal(a.numClasses, shape.classes, `${name}: classes`);
      // A subset smaller than the reference's draw (the local QNLI train split has 9,999 rows) is used whole.
      const available = Number(a.details.trainRowsAvailable ?? a.details.trainWindowsAvailable ?? shape.nTrain);
      assert.equal(a.train.labels.shape[0], Math.min(shape.nTrain, available), `${name}: train rows`);
      assert.equal(a.test.labels.shape[0], shape.nTest, `${name}: test rows`);
      for (const split of [a.train, a.test]) {
        const labels = split.labels.toInt32Array();
        assert.ok(
          labels.every((y) => y >= 0 && y < shape.classes),
          `${name}: a label outside [0, ${shape.classes})`,
        );
        if (split.raw.dtype === 'float32') assert.ok(split.raw.isfinite().all().item(), `${name}: non-finite input`);
      }
      assert.equal(fingerprint(a), fingerprint(b), `${name}: the same seed drew different rows`);
      assert.notEqual(fingerprint(a), fingerprint(other), `${name}: seeds 7 and 11 drew the same rows`);
    } finally {
      dispose([a, b, other]);
    }
  }
});
