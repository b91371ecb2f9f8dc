// cfinit installed as a dependency: `npm pack` ships only what users need, the addon builds against the
// local libtorch, `npx cfinit` runs from dist/ alone (no tsx, no src/) and every entry point imports and computes.
// Offline there is no registry to fetch the dependencies from, so the install is done by its steps: unpack
// the tarball into node_modules, link the already-installed dependencies beside it, and `npm rebuild`
// it (the install script, i.e. the addon build, and the bin link). One test: the build takes about a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../data/fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', 'build', 'dist', '.git']);

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Symlinks every package of from/node_modules into to/node_modules (scoped ones one level down). */
function linkDependencies(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      mkdirSync(join(to, name), { recursive: true });
      for (const inner of readdirSync(join(from, name))) symlinkSync(join(from, name, inner), join(to, name, inner));
    } else {
      symlinkSync(join(from, name), join(to, name));
    }
  }
}

test('npm pack, install into a fresh project: addon builds, npx cfinit --help runs, entry points compute', () => {
  const work = tempDir('h11-pack');
  // a copy of the checkout with a fresh build of dist/ (the working tree's dist/ may be stale)
  const pkg = join(work, 'pkg');
  for (const name of readdirSync(ROOT)) {
    if (!SKIP.has(name)) cpSync(join(ROOT, name), join(pkg, name), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: pkg }); // emits even past type errors
  assert.ok(existsSync(join(pkg, 'dist', 'cli', 'main.js')), 'tsc did not emit dist/cli/main.js');

  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], pkg)) as {
    filename: string;
    files: { path: string }[];
  }[];
  const files = packed.files.map((f) => f.path);
  const needs = [
    'dist/cli/main.js',
    'dist/index.js',
    'bin/cfinit.js',
    'binding.gyp',
    'native/addon.cc',
    'scripts/libtorch.cjs',
    'python/cfinit_torch.py',
    'LICENSE',
    'README.md',
  ];
  for (const needed of needs) {
    assert.ok(files.includes(needed), `the package lacks ${needed}`);
  }
  const unwanted = files.filter(
    (f) => /^(src|test|bench|scripts\/(?!libtorch\.cjs))/.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
  );
  assert.deepEqual(unwanted, [], 'the package ships development files');

  const project = join(work, 'project');
  const installed = join(project, 'node_modules', 'cfinit');
  mkdirSync(installed, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'user-project',
      version: '1.0.0',
      type: 'module',
      dependencies: { cfinit: `file:${join(work, packed.filename)}` },
    }),
  );
  execFileSync('tar', ['xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
  linkDependencies(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  run('npm', ['rebuild', '--offline', '--foreground-scripts', 'cfinit'], project, { JOBS: '2' });
  assert.ok(existsSync(join(installed, 'build', 'Release', 'cfinit_native.node')), 'the addon was not built');

  // the CLI, with tsx unreachable: it must run from dist/ alone
  const help = run('npx', ['--offline', 'cfinit', '--help'], project, { NODE_OPTIONS: '' });
  assert.match(help, /^Usage: cfinit/m);
  assert.ok(!existsSync(join(project, 'node_modules', 'cfinit', 'src')));

  const smoke = join(project, 'smoke.mjs');
  writeFileSync(
    smoke,
    [
      "import { readFileSync } from 'node:fs';",
      "const { exports } = JSON.parse(readFileSync('node_modules/cfinit/package.json', 'utf8'));",
      'const counts = {};',
      'for (const entry of Object.keys(exports)) {',
      "  const name = entry === '.' ? 'cfinit' : `cfinit/${entry.slice(2)}`;",
      '  counts[entry] = Object.keys(await import(name)).length;',
      '}',
      "const { tensor } = await import('cfinit/torch');",
      'console.log(JSON.stringify({ counts, sum: tensor([1, 2, 3]).mul(2).sum().item() }));',
    ].join('\n'),
  );
  const out = JSON.parse(run(process.execPath, [smoke], project, { NODE_OPTIONS: '' })) as {
    counts: Record<string, number>;
    sum: number;
  };
  assert.equal(out.sum, 12);
  const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(out.counts).sort(), Object.keys(exports).sort());
  for (const core of ['.', './torch', './nn', './closedform', './data']) {
    assert.ok(core in out.counts, `no ${core} entry point`);
  }
  for (const [entry, count] of Object.entries(out.counts)) assert.ok(count > 0, `${entry} exports nothing`);
});
