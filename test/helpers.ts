// Assertions shared by the test files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { resolveDataDir } from '../src/data/paths.ts';
import type { Tensor } from '../src/torch/index.ts';
import { tempDir } from './data/fixtures.ts';

const CLI = resolve(import.meta.dirname, '..', 'bin', 'cfinit.js');

/** `cfinit args` in a child process, with a fit cache folder of its own. */
export function cfinit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, CFINIT_CACHE_DIR: tempDir('cache') };
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr naming the culprit, exit code 1, no stack trace. */
export function assertUserError(r: { status: number | null; stderr: string }, culprit: RegExp): void {
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^cfinit: /);
  assert.match(lines[0]!, culprit);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
}

/**
 * The real datasets' folder (CFINIT_DATA_DIR, else ../shared/data), or undefined after marking t skipped with one
 * line when it does not exist: `npm test` passes on a bare clone. CFINIT_REQUIRE_DATA=1 (CI, beside ../shared)
 * makes a missing folder a failure instead, so the data tests cannot silently stop running there.
 */
export function realDataDir(t: TestContext): string | undefined {
  const dir = resolveDataDir();
  if (existsSync(dir)) return dir;
  if (process.env.CFINIT_REQUIRE_DATA === '1')
    assert.fail(`CFINIT_REQUIRE_DATA=1 but there is no dataset folder ${dir}`);
  t.skip(`no dataset folder ${dir} (set CFINIT_DATA_DIR to run it)`);
  return undefined;
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise; the message names the first offending index. */
export function assertClose(
  actual: Tensor | ArrayLike<number>,
  expected: Tensor | ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6, what = 'value' }: { rtol?: number; atol?: number; what?: string } = {},
): void {
  const a = toNumbers(actual);
  const b = toNumbers(expected);
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs expected ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(b[i]!);
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) {
      assert.fail(`${what}[${i}] = ${a[i]} but expected ${b[i]} (tolerance ${tol})`);
    }
  }
}

function toNumbers(x: Tensor | ArrayLike<number>): number[] {
  if (typeof (x as Tensor).toArray === 'function') return (x as Tensor).toArray();
  return Array.from(x as ArrayLike<number>);
}

export function maxAbs(t: Tensor): number {
  return t.abs().max().item();
}
