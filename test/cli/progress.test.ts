// The phase lines: runModel reports its own fit, feature extraction and every evaluation (with its seconds) to
// onPhase, and the CLI prints a line only for those that took at least a second.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PHASE_LINE_SECONDS, phaseLines } from '../../src/cli/progress.ts';
import { runModel, type Phase } from '../../src/train/index.ts';
import { disposeScenario, fitOptions, tinyTabular } from '../train/tiny.ts';

test('runModel reports fitting, extracting and each evaluation to onPhase', () => {
  const s = tinyTabular();
  try {
    for (const [model, expected] of [
      ['cf-ce-head', ['fitting', 'extracting', 'evaluating', 'evaluating']],
      ['cf-ridge', ['fitting', 'extracting', 'fitting', 'evaluating']],
      ['backprop', ['evaluating', 'evaluating']],
    ] as const) {
      const seen: { phase: Phase; seconds: number; what: string }[] = [];
      runModel(s, model, {
        seed: 3,
        steps: model === 'cf-ridge' ? undefined : 4,
        checkpointSteps: [2],
        fitOptions: fitOptions(s, 3),
        onPhase: (phase, seconds, what) => seen.push({ phase, seconds, what }),
      });
      assert.deepEqual(
        seen.map((p) => p.phase),
        expected,
        `${model}: ${JSON.stringify(seen)}`,
      );
      for (const p of seen) assert.ok(Number.isFinite(p.seconds) && p.seconds >= 0 && p.what.length > 0);
    }
  } finally {
    disposeScenario(s);
  }
});

test('phaseLines prints one line per phase of at least a second, with its seconds', () => {
  const lines: string[] = [];
  const onPhase = phaseLines((line) => lines.push(line));
  onPhase('loading', PHASE_LINE_SECONDS - 0.01, 'covtype_mlp');
  onPhase('fitting', 2.345, 'the closed-form encoder on 400 rows');
  onPhase('evaluating', PHASE_LINE_SECONDS, 'checkpoint final on 200 test rows');
  assert.deepEqual(lines, [
    'fitting the closed-form encoder on 400 rows: 2.3 s',
    'evaluating checkpoint final on 200 test rows: 1.0 s',
  ]);
});
