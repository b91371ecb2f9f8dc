// Loads the reference implementation's golden fixtures and compares against them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tensor, type Tensor } from '../../src/torch/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** CFINIT_GOLDEN_DIR, else the in-repository copy (test/fixtures/golden). */
export function goldenDir(): string {
  return process.env.CFINIT_GOLDEN_DIR ?? join(repoRoot, 'test', 'fixtures', 'golden');
}

export function loadGolden(name: string): { meta: Record<string, unknown>; inputs: any; outputs: any } {
  const path = join(goldenDir(), `${name}.json`);
  if (!existsSync(path)) throw new Error(`golden fixture ${path} is missing (set CFINIT_GOLDEN_DIR)`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** A float64 tensor from a fixture's nested list. */
export function f64(data: unknown): Tensor {
  return tensor(data as number[], { dtype: 'float64' });
}

/**
 * Agreement "to 1e-8 relative": |a − b| ≤ rtol·(|b| + max|B|) elementwise, i.e. relative to each
 * entry and, for entries near zero, relative to the array's scale.
 */
/** Returns the worst error found (for reporting). */
export function assertGolden(actual: Tensor | number, expected: unknown, what: string, rtol = 1e-8): number {
  const a = typeof actual === 'number' ? [actual] : actual.toArray();
  const b = typeof expected === 'number' ? [expected] : ((expected as unknown[]).flat(Infinity as 1) as number[]);
  assert.equal(a.length, b.length, `${what}: ${a.length} values but the fixture has ${b.length}`);
  const scale = Math.max(...b.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + scale || 1);
    if (!(err <= rtol)) assert.fail(`${what}[${i}] = ${a[i]} but the fixture has ${b[i]} (relative error ${err})`);
    worst = Math.max(worst, err);
  }
  return worst;
}
