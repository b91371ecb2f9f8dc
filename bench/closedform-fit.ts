// Benchmark: fit the closed-form transformer encoder (depth 3, 2 heads × 8 landmarks, λ = 1) on
// seeded random tokens of the reference benchmark's three shapes, and the MLP encoder on a
// covtype-sized table. Each shape runs in its own child process so the peak RSS (VmHWM) is per
// shape; repeats are interleaved across shapes and summarised by their median.
//
// The transformer fit propagates only the two views it needs (the benchmark's feature extraction encodes
// train and test afterwards); --base also propagates a base stream, as the fit did before.
// --baseline <git-ref> times that commit's fit beside this one, interleaved child by child: the commit is
// checked out read-only in a git worktree (/tmp/cfinit-baseline-<ref>, node_modules symlinked, its own addon
// built there once) and this script runs there against its sources; --baseline-base gives only the baseline the
// base stream (the fit as the benchmark ran it before propagating the base became optional).
//
// Usage: npm run bench:closedform-fit -- [--repeats 3] [--dtype float32|float64] [--base]
//          [--shapes cifar,qnli,wikitext,covtype] [--baseline <git-ref> [--baseline-base]]
import { CALLER_ENV } from './caller-env.ts'; // first: before src/ sets its environment defaults
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitMlpEncoder, fitTransformerEncoder, type ComputeDtype } from '../src/closedform/index.ts';
import { Generator, empty, getNumThreads, randn, tidy } from '../src/torch/index.ts';
import { SCENARIO_SHAPES } from '../src/reference.ts';
import { FIT_SHAPES } from './shapes.ts';
import { helpIfAsked } from './usage.ts';

helpIfAsked(import.meta.url); // before anything runs

interface Shape {
  name: string;
  n: number;
  t: number;
  d: number;
  refSeconds: number;
  refGb: number;
}

// refSeconds / refGb: the reference implementation's own fit, measured on this kind of machine.
const SHAPES: Shape[] = [
  { name: 'cifar', ...FIT_SHAPES.cifar, refSeconds: 28.9, refGb: 5.1 },
  { name: 'qnli', ...FIT_SHAPES.qnli, refSeconds: 58.8, refGb: 9.7 },
  { name: 'wikitext', ...FIT_SHAPES.wikitext, refSeconds: 70.3, refGb: 12.2 },
];
const { nTrain: COVTYPE_ROWS, features: COVTYPE_FEATURES } = SCENARIO_SHAPES.covtype_mlp;
const COVTYPE = { name: 'covtype', n: COVTYPE_ROWS, d: COVTYPE_FEATURES, refSeconds: 0.07 };
const SEED = 20240611;

// The measured children run with the library's own defaults (passive OpenMP waiting, cfinit's malloc
// settings, freed memory returned to the OS after each pass); the caller's environment overrides them.
const CHILD_ENV: Record<string, string> = {};

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** base ~ N(0,1); view_k = base + 0.3·N(0,1), generated in row chunks into preallocated tensors. */
function makeTokens(
  shape: Shape,
  dtype: ComputeDtype,
): { base: ReturnType<typeof empty>; view1: ReturnType<typeof empty>; view2: ReturnType<typeof empty> } {
  const g = new Generator(SEED);
  const dims = [shape.n, shape.t, shape.d];
  const base = empty(dims, { dtype });
  const view1 = empty(dims, { dtype });
  const view2 = empty(dims, { dtype });
  // small chunks: large short-lived temporaries inflate the peak RSS we are measuring
  const chunk = Math.max(1, Math.floor(2 ** 18 / (shape.t * shape.d)));
  for (let start = 0; start < shape.n; start += chunk) {
    const len = Math.min(chunk, shape.n - start);
    tidy(() => {
      const b = randn([len, shape.t, shape.d], { generator: g, dtype });
      base.narrow(0, start, len).copy_(b);
      view1.narrow(0, start, len).copy_(b.add(randn([len, shape.t, shape.d], { generator: g, dtype }).mul(0.3)));
      view2.narrow(0, start, len).copy_(b.add(randn([len, shape.t, shape.d], { generator: g, dtype }).mul(0.3)));
    });
  }
  return { base, view1, view2 };
}

function runChild(name: string, dtype: ComputeDtype, withBase: boolean): void {
  const rssBefore = peakRssBytes();
  if (name === COVTYPE.name) {
    const g = new Generator(SEED);
    const base = randn([COVTYPE.n, COVTYPE.d], { generator: g, dtype: 'float64' });
    const view1 = base.add(randn([COVTYPE.n, COVTYPE.d], { generator: g, dtype: 'float64' }).mul(0.3));
    const view2 = base.add(randn([COVTYPE.n, COVTYPE.d], { generator: g, dtype: 'float64' }).mul(0.3));
    const cold = performance.now();
    fitMlpEncoder({ base: base.narrow(0, 0, 200), view1: view1.narrow(0, 0, 200), view2: view2.narrow(0, 0, 200) });
    const coldSeconds = (performance.now() - cold) / 1000; // first calls: operator lookup, BLAS and thread start-up
    const started = performance.now();
    fitMlpEncoder({ base, view1, view2 }, { depth: 3, lambda: 1 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify({
        name,
        seconds,
        coldWarmupSeconds: coldSeconds,
        peakRss: peakRssBytes(),
        rssBeforeFit: rssBefore,
      }),
    );
    return;
  }
  const shape = SHAPES.find((s) => s.name === name);
  if (!shape)
    throw new Error(
      `unknown shape '${name}'; expected one of ${[...SHAPES.map((s) => s.name), COVTYPE.name].join(', ')}`,
    );
  const tokens = makeTokens(shape, dtype);
  const streams = withBase ? tokens : { view1: tokens.view1, view2: tokens.view2 };
  if (!withBase) tokens.base.dispose();
  const dataRss = peakRssBytes();
  const started = performance.now();
  fitTransformerEncoder(streams, { depth: 3, heads: 2, landmarks: 8, lambda: 1, computeDtype: dtype, inPlace: true });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({ name, seconds, peakRss: peakRssBytes(), rssAfterData: dataRss, threads: getNumThreads() }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function main(): void {
  const dtype = arg('dtype', 'float32') as ComputeDtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`--dtype must be float32 or float64, got '${dtype}'`);
  if (process.argv.includes('--child')) {
    runChild(arg('child', ''), dtype, process.argv.includes('--base'));
    return;
  }
  const baselineRef = arg('baseline', '');
  const versions = [{ label: 'new', script: fileURLToPath(import.meta.url) }];
  if (baselineRef) versions.push({ label: `baseline ${baselineRef}`, script: baselineScript(baselineRef) });
  const repeats = Number(arg('repeats', '3'));
  const names = arg('shapes', 'cifar,qnli,wikitext,covtype').split(',');
  const withBase = process.argv.includes('--base');
  const all = new Map<string, Map<string, { seconds: number[]; rss: number[]; fitRss: number[] }>>(
    versions.map((v) => [v.label, new Map(names.map((n) => [n, { seconds: [], rss: [], fitRss: [] }]))]),
  );
  for (let r = 0; r < repeats; r++) {
    for (const name of names) {
      for (const version of versions) {
        const base = withBase || (version.label !== 'new' && process.argv.includes('--baseline-base'));
        const args = [
          '--import',
          'tsx',
          version.script,
          '--child',
          name,
          '--dtype',
          dtype,
          ...(base ? ['--base'] : []),
        ];
        const child = spawnSync(process.execPath, args, {
          encoding: 'utf8',
          env: { ...CHILD_ENV, ...CALLER_ENV },
          maxBuffer: 1 << 20,
          cwd: dirname(dirname(version.script)),
        });
        if (child.status !== 0)
          throw new Error(`child ${version.label} ${name} failed (${child.status}):\n${child.stderr}`);
        const line = JSON.parse(child.stdout.trim().split('\n').pop()!);
        const slot = all.get(version.label)!.get(name)!;
        slot.seconds.push(line.seconds);
        slot.rss.push(line.peakRss);
        // the fit's own memory: peak above the process after its input streams were made
        slot.fitRss.push(line.peakRss - (line.rssAfterData ?? line.rssBeforeFit));
        console.error(
          `  repeat ${r + 1} ${version.label} ${name}: ${line.seconds.toFixed(3)} s, ` +
            `peak RSS ${(line.peakRss / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
  }
  const baselineBase = process.argv.includes('--baseline-base');
  for (const version of versions) {
    const base = withBase || (version.label !== 'new' && baselineBase);
    report(version.label, all.get(version.label)!, names, dtype, repeats, base);
  }
  if (versions.length > 1) {
    console.log(`speedup of new over baseline ${baselineRef} (ratio of medians):`);
    for (const name of names) {
      const ratio = median(all.get(versions[1].label)!.get(name)!.seconds) / median(all.get('new')!.get(name)!.seconds);
      console.log(`  ${name.padEnd(10)} ${ratio.toFixed(2)}x`);
    }
  }
}

/** A read-only worktree of ref with node_modules and the built addon, holding a copy of this script. */
function baselineScript(ref: string): string {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const dir = `/tmp/cfinit-baseline-${ref.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  if (!existsSync(dir))
    execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', dir, ref], { stdio: 'inherit' });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // the ref's own addon, built from its native sources (an addon built from ours would carry today's kernels and
  // memory accounting into the baseline)
  if (!existsSync(join(dir, 'build/Release/cfinit_native.node'))) {
    execFileSync('npm', ['run', '--silent', 'install'], { cwd: dir, stdio: 'inherit' });
  }
  // The script's own imports that an older ref may not have (pure data; the ref's copies win when present).
  for (const file of ['bench/shapes.ts', 'bench/caller-env.ts', 'src/reference.ts']) {
    if (!existsSync(join(dir, file))) copyFileSync(join(root, file), join(dir, file));
  }
  const script = join(dir, 'bench/closedform-fit.current.ts');
  copyFileSync(fileURLToPath(import.meta.url), script);
  return script;
}

function report(
  label: string,
  results: Map<string, { seconds: number[]; rss: number[]; fitRss: number[] }>,
  names: string[],
  dtype: string,
  repeats: number,
  withBase: boolean,
): void {
  console.log(
    `[${label}] closed-form encoder fit, computeDtype ${dtype}, ${withBase ? 'with' : 'without'} a base stream, ` +
      `${repeats} repeat(s), median shown (machine shared: timings are noisy)`,
  );
  console.log(
    'shape      N×T×d            seconds   ref s   speedup   peak RSS MiB   ref GB   RSS vs ref   fit above inputs MiB',
  );
  for (const name of names) {
    const { seconds, rss, fitRss } = results.get(name)!;
    const fitPeak = (Math.max(...fitRss) / 2 ** 20).toFixed(0).padStart(12);
    const s = median(seconds);
    const peak = Math.max(...rss);
    if (name === COVTYPE.name) {
      console.log(
        `${name.padEnd(10)} ${`${COVTYPE.n}×${COVTYPE.d}`.padEnd(16)} ${s.toFixed(3).padStart(7)} ${COVTYPE.refSeconds.toFixed(2).padStart(7)} ${(COVTYPE.refSeconds / s).toFixed(1).padStart(8)}x ${(peak / 2 ** 20).toFixed(0).padStart(13)} ${''.padStart(8)} ${''.padStart(9)}  ${fitPeak}`,
      );
      continue;
    }
    const shape = SHAPES.find((x) => x.name === name)!;
    console.log(
      `${name.padEnd(10)} ${`${shape.n}×${shape.t}×${shape.d}`.padEnd(16)} ${s.toFixed(2).padStart(7)} ${shape.refSeconds.toFixed(1).padStart(7)} ${(shape.refSeconds / s).toFixed(1).padStart(8)}x ${(peak / 2 ** 20).toFixed(0).padStart(13)} ${shape.refGb.toFixed(1).padStart(8)} ${((shape.refGb * 1e9) / peak).toFixed(1).padStart(9)}x  ${fitPeak}`,
    );
    console.log(`           all runs: ${seconds.map((x) => x.toFixed(2)).join(', ')} s`);
  }
}

main();
