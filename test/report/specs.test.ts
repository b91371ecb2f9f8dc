// Spec builders: valid Vega-Lite (the vega-lite JSON Schema, and compiling without a warning), two panels per
// scenario, one colour per model from a colour-blind-safe palette, legends listing only what is drawn, reversed
// cross-entropy axes that say so, no bars (OOD is a dot plot), closed-form starts at their fit cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { figureSpecs, compileSpec } from '../../src/report/index.ts';
import { anytimePoints, lowDataPoints } from '../../src/report/data.ts';
import { LIGHT, DARK, PALETTE, modelColor, modelLabel } from '../../src/report/style.ts';
import { makeResults } from './fixture.ts';
import { EXTRA_MODELS, manyModels } from './many-models.ts';

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
/** Every unit (layer member) of a figure: concat panels → layers. */
function layers(spec: Any): Any[] {
  return (spec.concat as Any[]).flatMap((p: Any) => p.layer as Any[]);
}

test('every figure is schema-valid Vega-Lite and compiles without warnings, two panels per scenario', () => {
  for (const results of [makeResults(), makeResults(['qnli_transformer']), manyModels(makeResults())]) {
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
      const perScenario = f.name === 'ood' ? 1 : 2;
      assert.equal((f.spec.concat as unknown[]).length, perScenario * scenarios, `${f.name}: panels`);
      // The page resizes panels through one signal and reflows the columns.
      assert.ok(
        (vega.signals as Any[]).some((sg) => /(^|_)childWidth$/.test(sg.name)),
        `${f.name}: a childWidth signal`,
      );
      assert.equal((vega.layout as Any).columns, f.spec.columns);
    }
  }
  // The validator rejects a broken spec (so the check above can fail).
  assert.equal(validate({ mark: 'no-such-mark', data: { values: [] } }), false);
});

/** CIELAB of an sRGB hex seen through a Machado et al. (2009) severity-1 deficiency matrix (identity: normal). */
function seenLab(hex: string, m: number[][]): number[] {
  const lin = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const rgb = m.map((row) => row.reduce((a, v, j) => a + v * lin[j]!, 0));
  const xyz = [
    [0.4124, 0.3576, 0.1805],
    [0.2126, 0.7152, 0.0722],
    [0.0193, 0.1192, 0.9505],
  ].map((row, i) => row.reduce((a, v, j) => a + v * rgb[j]!, 0) / [0.95047, 1, 1.08883][i]!);
  const f = xyz.map((t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116));
  return [116 * f[1]! - 16, 500 * (f[0]! - f[1]!), 200 * (f[1]! - f[2]!)];
}
const DEFICIENCIES: Record<string, number[][]> = {
  normal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};
function contrast(a: string, b: string): number {
  const lum = (hex: string): number =>
    [1, 3, 5]
      .map((i) => {
        const c = parseInt(hex.slice(i, i + 2), 16) / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      })
      .reduce((acc, c, i) => acc + c * [0.2126, 0.7152, 0.0722][i]!, 0);
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

test('ten models get ten colours that stay apart under colour-vision deficiency and show on both page colours', () => {
  assert.equal(new Set(PALETTE).size, 10);
  for (const [kind, m] of Object.entries(DEFICIENCIES)) {
    for (let i = 0; i < PALETTE.length; i++) {
      for (let j = i + 1; j < PALETTE.length; j++) {
        const [a, b] = [seenLab(PALETTE[i]!, m), seenLab(PALETTE[j]!, m)];
        const d = Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
        assert.ok(d >= 15, `${PALETTE[i]} vs ${PALETTE[j]} under ${kind}: ΔE ${d.toFixed(1)}`);
      }
    }
  }
  for (const c of PALETTE) {
    assert.ok(contrast(c, LIGHT.background) >= 2.2, `${c} on the light page`);
    assert.ok(contrast(c, DARK.background) >= 2.5, `${c} on the dark page`);
  }
  // The reference's four and the initializers each get their own colour.
  const models = ['backprop', 'cf-finetune', 'cf-ce-head', 'cf-ridge', ...Object.keys(EXTRA_MODELS)];
  const base = models.filter((m) => !m.includes('@')).map(modelColor);
  assert.equal(new Set(base).size, base.length, base.join(' '));
  assert.notEqual(modelColor('cf-ce-head@0.0625'), modelColor('cf-ce-head'));
  assert.equal(modelLabel('cf-ce-head@0.0625'), 'CF + CE head (fit 1/16)');
});

test('one colour per model in every figure; a legend lists only the models its figure draws', () => {
  const results = manyModels(makeResults());
  // OOD without the ridge and one initializer: its legend must not list them; the others still do.
  results.ood_summary = results.ood_summary.filter((r) => r.model !== 'cf-ridge' && r.model !== ('lsuv' as never));
  for (const f of figureSpecs(results)) {
    const drawn = new Set<string>(
      (f.spec.concat as Any[]).flatMap((p) => (p.data.values as Any[]).map((v) => v.model as string)),
    );
    for (const l of layers(f.spec)) {
      for (const channel of ['color', 'fill', 'stroke'] as const) {
        const enc = l.encoding[channel];
        if (!enc?.scale) continue;
        assert.deepEqual(new Set(enc.scale.domain), drawn, `${f.name} ${channel}: legend = models drawn`);
        enc.scale.domain.forEach((label: string, i: number) => {
          const key = [...Object.keys(EXTRA_MODELS), 'backprop', 'cf-finetune', 'cf-ce-head', 'cf-ridge'].find(
            (k) => modelLabel(k) === label,
          )!;
          assert.equal(enc.scale.range[i], modelColor(key), `${f.name}: ${label}'s colour`);
        });
      }
    }
    const labels = new Set(drawn);
    assert.equal(labels.has('closed-form ridge'), f.name !== 'ood', f.name);
  }
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

test('no bar hangs from an arbitrary baseline: OOD is a dot plot; axes thin out colliding tick labels', () => {
  for (const f of figureSpecs(makeResults())) {
    for (const l of layers(f.spec)) {
      const type = typeof l.mark === 'string' ? l.mark : l.mark.type;
      if (type === 'bar' || type === 'area') {
        // An area is only a CI band (y = lo, y2 = hi), never a bar from the axis.
        assert.equal(type, 'area', `${f.name}: no bars`);
        assert.deepEqual([l.encoding.y.field, l.encoding.y2.field], ['lo', 'hi']);
      }
    }
    assert.equal((f.spec as Any).config.axis.labelOverlap, 'greedy', `${f.name}: overlapping tick labels are dropped`);
  }
  const ood = figureSpecs(makeResults()).find((f) => f.name === 'ood')!;
  const marks = layers(ood.spec).map((l) => (typeof l.mark === 'string' ? l.mark : l.mark.type));
  assert.deepEqual([...new Set(marks)].sort(), ['point', 'rule']);
  // Shifts are rows: their labels are horizontal text, one band each.
  const y = layers(ood.spec)[0]!.encoding.y;
  assert.equal(y.field, 'variant');
});

test('cross-entropy axes are reversed and say lower is better; accuracy axes are not', () => {
  for (const f of figureSpecs(makeResults(['covtype_mlp', 'wikitext2_next_token_transformer']))) {
    const panels = f.spec.concat as Any[];
    const [acc, ce] = [panels[0]!, panels.at(-1)!];
    /** The axis the mean is drawn on (y, or x in the OOD dot plot). */
    const axisOf = (panel: Any): Any => {
      const value = (panel.layer as Any[]).find(
        (l) => l.encoding.y?.field === 'value' || l.encoding.x?.field === 'value',
      )!;
      return value.encoding.y?.field === 'value' ? value.encoding.y : value.encoding.x;
    };
    assert.equal(axisOf(acc).scale.reverse, false, `${f.name} accuracy`);
    assert.equal(axisOf(ce).scale.reverse, true, `${f.name} CE`);
    assert.match(axisOf(ce).title.join(' '), /lower is better/);
    assert.doesNotMatch(axisOf(acc).title.join(' '), /lower is better/);
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
