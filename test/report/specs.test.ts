// Spec builders: valid Vega-Lite (the vega-lite JSON Schema, and compiling without a warning), one row per
// scenario, the colours, reversed cross-entropy axes that say so, closed-form starts at their fit cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { figureSpecs, compileSpec } from '../../src/report/index.ts';
import { anytimePoints, lowDataPoints } from '../../src/report/data.ts';
import { MODELS } from '../../src/train/index.ts';
import { makeResults } from './fixture.ts';

const vlDir = dirname(createRequire(import.meta.url).resolve('vega-lite'));
const schemaPath = [join(vlDir, 'vega-lite-schema.json'), join(vlDir, 'build', 'vega-lite-schema.json')].find((p) => {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
})!;
const validate = new Ajv({ strict: false, validateFormats: false, logger: false }).compile(
  JSON.parse(readFileSync(schemaPath, 'utf8')),
);

type Any = Record<string, any>;
/** Every unit (layer member) of a figure: vconcat rows → hconcat panels → layers. */
function layers(spec: Any): Any[] {
  const panels = (spec.vconcat as Any[]).flatMap((row) => (row.hconcat ? row.hconcat : [row]));
  return panels.flatMap((p: Any) => p.layer as Any[]);
}

test('every figure is schema-valid Vega-Lite and compiles without warnings, one row per scenario', () => {
  for (const results of [makeResults(), makeResults(['qnli_transformer'])]) {
    const scenarios = results.metadata.scenarios.length;
    const specs = figureSpecs(results);
    assert.deepEqual(
      specs.map((f) => f.name),
      ['anytime', 'pareto', 'low_data', 'ood', 'transfer'],
    );
    for (const f of specs) {
      assert.ok(validate(f.spec), `${f.name}: ${JSON.stringify(validate.errors?.slice(0, 2))}`);
      const { vega, warnings } = compileSpec(f.spec);
      assert.deepEqual(warnings, [], `${f.name} compiled with warnings`);
      assert.ok(Array.isArray(vega.marks) && (vega.marks as unknown[]).length > 0);
      assert.equal((f.spec.vconcat as unknown[]).length, scenarios, `${f.name}: rows`);
    }
  }
  // The validator rejects a broken spec (so the check above can fail).
  assert.equal(validate({ mark: 'no-such-mark', data: { values: [] } }), false);
});

test("colours are each model's registry colour and every point mark carries the full tooltip", () => {
  const [anytime] = figureSpecs(makeResults());
  const color = layers(anytime!.spec).find((l) => l.encoding.color)!.encoding.color;
  const byLabel = Object.fromEntries(color.scale.domain.map((d: string, i: number) => [d, color.scale.range[i]]));
  const colour = (name: string) => MODELS.find((m) => m.name === name)!.colour;
  assert.deepEqual(byLabel, {
    backprop: colour('backprop'),
    'CF + fine-tune': colour('cf-finetune'),
    'CF + CE head': colour('cf-ce-head'),
    'closed-form ridge': colour('cf-ridge'),
  });
  assert.equal(new Set(MODELS.map((m) => m.colour)).size, MODELS.length, 'one distinct colour per model');
  for (const f of figureSpecs(makeResults())) {
    const tipped = layers(f.spec).filter((l) => l.encoding.tooltip);
    assert.ok(tipped.length > 0, `${f.name} has tooltips`);
    for (const l of tipped) {
      const fields = (l.encoding.tooltip as Any[]).map((t) => t.field);
      for (const want of ['scenario', 'model', 'seeds', 'checkpoint', 'shown', 'compute_text', 'seconds_text']) {
        assert.ok(fields.includes(want), `${f.name} tooltip lacks ${want}`);
      }
    }
  }
});

test('cross-entropy rows are reversed and say lower is better; accuracy rows are not', () => {
  for (const f of figureSpecs(makeResults(['covtype_mlp', 'wikitext2_next_token_transformer']))) {
    const [acc, ce] = f.spec.vconcat as Any[];
    const yOf = (row: Any): Any => layers({ vconcat: [row] }).find((l) => l.encoding.y?.field === 'value')!.encoding.y;
    assert.equal(yOf(acc!).scale.reverse, false, `${f.name} accuracy`);
    assert.equal(yOf(ce!).scale.reverse, true, `${f.name} CE`);
    assert.match(yOf(ce!).title.join(' '), /lower is better/);
    assert.doesNotMatch(yOf(acc!).title.join(' '), /lower is better/);
  }
});

test('closed-form starts sit at their fit cost; the ridge is one point; low-data spans fractions to 1', () => {
  const results = makeResults(['covtype_mlp']);
  const pts = anytimePoints(results, 'covtype_mlp');
  const init = (model: string): number => pts.find((p) => p.model === model && p.checkpoint === 'init')!.compute;
  const fit = results.anytime_summary.find((r) => r.model === 'cf-finetune' && r.checkpoint_label === 'init')!;
  assert.equal(init('backprop'), 0);
  assert.equal(init('CF + fine-tune'), fit.total_compute_proxy.mean);
  assert.ok(init('CF + fine-tune') > 0);
  assert.equal(pts.filter((p) => p.model === 'closed-form ridge').length, 1);
  for (const [budget, checkpoint] of [
    [0.1, '10%'],
    [1, '100%'],
  ] as const) {
    const low = lowDataPoints(results, 'covtype_mlp', budget);
    assert.deepEqual(
      [...new Set(low.map((p) => p.fraction))].sort((a, b) => a - b),
      [0.01, 0.1, 1],
    );
    assert.ok(low.filter((p) => p.model === 'backprop').every((p) => p.checkpoint === checkpoint));
    assert.equal(low.filter((p) => p.model === 'closed-form ridge').length, 3);
  }
  // Short runs checkpoint at e.g. 12%: the nearest one stands for 10%.
  for (const r of results.low_data_summary) {
    if (r.checkpoint_label === '10%') Object.assign(r, { checkpoint_label: '12%', budget_fraction: 0.125 });
  }
  const relabelled = lowDataPoints(results, 'covtype_mlp', 0.1).filter((p) => p.model === 'backprop' && p.fraction < 1);
  assert.deepEqual(
    relabelled.map((p) => p.checkpoint),
    ['12%', '12%'],
  );
});
