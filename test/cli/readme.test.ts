// The README as a newcomer meets it. Every command in its bash blocks is listed here, either as one that works on a
// fresh clone with no datasets (run below, in README order, from a copy of the repository with nothing beside it and
// CFINIT_DATA_DIR unset; `train` and `bench` get a small `--rows` for speed), as one that must fail there with a
// one-line error naming what is missing, or with the reason it is not run; a README command missing from the list
// (or a listed one gone from the README) fails the first test. The README's TypeScript snippets run as written, with
// the package's imports resolved to the sources the way package.json's exports resolve them to dist/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, test } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** `rows`: what `train` and `bench` get for speed instead of their defaults (40,24 unless said). */
type Expectation = { works: true; rows?: string } | { fails: RegExp } | { notRun: string };

/** Every command of the README's bash blocks. */
const COMMANDS: Record<string, Expectation> = {
  'bash scripts/setup.sh': { notRun: 'installs system packages and runs npm ci: the setup this test runs in' },
  'node bin/cfinit.js bench --quick --out results': { works: true },
  'node bin/cfinit.js report results': { works: true },
  // at 40 training rows an LSUV or orthogonal start costs more than backprop's whole budget (skipped: nothing to compare)
  'node bin/cfinit.js bench --quick --scenarios covtype_mlp,qnli_transformer --regimes anytime --models backprop,orthogonal,lsuv,mimetic,zca,zero-residual --out results-inits':
    { works: true, rows: '200,100' },
  'npm test': { notRun: 'the suite this test is part of' },
  'node bin/cfinit.js train --scenario covtype_mlp --model backprop': { works: true },
  'node bin/cfinit.js train --scenario qnli_transformer --model cf-finetune --out runs/qnli-ft': { works: true },
  'node bin/cfinit.js export runs/qnli-ft --torch qnli-ft.safetensors': { works: true },
  'node bin/cfinit.js bench --quick': { works: true },
  'node bin/cfinit.js bench --out results/': { fails: /^cfinit: no dataset folder found .*--data-dir/ },
  'node bin/cfinit.js report results/': { works: true },
  'node bin/cfinit.js report results/ --out docs/report': { works: true },
  'node bin/cfinit.js train --data csv:samples/covtype/covtype-sample-1k.csv --label Cover_Type --model cf-ridge': {
    works: true,
  },
  'node bin/cfinit.js train --data csv:samples/covtype/covtype-sample-1k.csv --label Cover_Type --model backprop --log-dir logs --json > backprop.json':
    { works: true },
  'node bin/cfinit.js train --data text:samples/qnli/train.tsv --text-col question,sentence --test samples/qnli/dev.tsv --model cf-ce-head':
    { works: true },
  'mkdir -p my-corpus': { works: true },
  'cp samples/wikitext-2/wiki.train.tokens my-corpus/train.txt': { works: true },
  'cp samples/wikitext-2/wiki.valid.tokens my-corpus/valid.txt': { works: true },
  'node bin/cfinit.js train --data lm:my-corpus --model cf-ridge': { works: true },
  'node scripts/example-images.mjs my-images': { works: true },
  'node bin/cfinit.js train --data images:my-images --model cf-ridge': { works: true, rows: '40,12' },
  'node bin/cfinit.js bench --data csv:samples/covtype/covtype-sample-1k.csv --label Cover_Type --seeds 7 --out results-mine':
    { works: true },
  'node bin/cfinit.js export runs/csv_samples_covtype_covtype-sample-1k.csv-backprop-seed7 --torch mine.safetensors': {
    works: true,
  },
  'npm run bench:train-step': { notRun: 'needs the PyTorch peer (python3-torch); --help: bench-scripts.test.ts' },
  'npm run bench:closedform-fit': { notRun: 'minutes at the reference shapes; --help: bench-scripts.test.ts' },
  'npm run bench:closedform-profile': { notRun: 'minutes at the reference shapes; --help: bench-scripts.test.ts' },
  'npm run bench:closedform-fit-size': { notRun: 'needs the real datasets; --help: bench-scripts.test.ts' },
};

/** The fenced code blocks of one language, in order. */
function blocks(lang: string): string[] {
  return [...readme.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);
}

/** The commands of the bash blocks: continued lines joined, comments dropped, `a && b` split, in README order. */
function readmeCommands(): string[] {
  return blocks('bash').flatMap((b) =>
    b
      .replace(/\s*\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '')
      .flatMap((line) => line.split('&&').map((c) => c.trim())),
  );
}

const tmp = mkdtempSync(join(tmpdir(), 'cfinit-readme-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the repository as a clone has it (.gitignore'd paths left out), node_modules and build linked. */
function freshClone(): string {
  const ignored = readFileSync(join(root, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));
  const isIgnored = (rel: string) =>
    rel === '.git' ||
    ignored.some((p) => (p.startsWith('*') ? rel.endsWith(p.slice(1)) : rel === p || rel.startsWith(`${p}/`)));
  const repo = join(tmp, 'repo');
  cpSync(root, repo, { recursive: true, filter: (src) => !isIgnored(relative(root, src)) });
  symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
  symlinkSync(join(root, 'build'), join(repo, 'build'));
  assert.ok(!existsSync(join(tmp, 'shared')), 'nothing beside the copy');
  return repo;
}

const env: NodeJS.ProcessEnv = { ...process.env, CFINIT_CACHE_DIR: join(tmp, 'cache') };
for (const name of ['CFINIT_DATA_DIR', 'CFINIT_GOLDEN_DIR', 'CFINIT_REQUIRE_DATA']) delete env[name];

test('every command in the README is in the checked list, and every listed command is in the README', () => {
  const inReadme = readmeCommands();
  assert.deepEqual([...new Set(inReadme)].sort(), Object.keys(COMMANDS).sort());
});

test('the README commands run as written on a fresh clone with no datasets', { timeout: 20 * 60_000 }, (t) => {
  const repo = freshClone();
  for (const command of readmeCommands()) {
    const expect = COMMANDS[command]!;
    if ('notRun' in expect) {
      t.diagnostic(`not run: ${command} (${expect.notRun})`);
      continue;
    }
    const rows = 'rows' in expect ? expect.rows : '40,24';
    const run = /^node bin\/cfinit\.js (train|bench)\b/.test(command) ? `${command} --rows ${rows}` : command;
    const r = spawnSync('bash', ['-c', run], { cwd: repo, env, encoding: 'utf8' });
    const output = `$ ${run}\n${r.stdout}${r.stderr}`;
    const head = (text: string) =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .slice(0, 2);
    for (const line of [`$ ${run}`, ...head(r.stderr), ...head(r.stdout)]) t.diagnostic(line);
    if ('fails' in expect) {
      assert.equal(r.status, 1, output);
      assert.equal(r.stderr.trim().split('\n').length, 1, output);
      assert.match(r.stderr.trim(), expect.fails);
      continue;
    }
    assert.equal(r.status, 0, output);
    if (command.startsWith('node bin/cfinit.js train --scenario')) {
      assert.match(r.stderr, /running on the packaged samples in .*samples, 40 train and 24 test rows/, output);
      assert.match(r.stdout, /seed 7: (accuracy|validation cross-entropy) \d/, output);
    }
    if (command === 'node bin/cfinit.js bench --quick') {
      // the same config into the same default folder as the first command: nothing left to run
      assert.match(r.stderr, /cfinit bench: (\d+) jobs, .*\ncfinit bench: \1 jobs done, skipping\n/, output);
    }
  }
  for (const file of ['results/results.json', 'results/report/report.html', 'runs/qnli-ft/weights.safetensors']) {
    assert.ok(existsSync(join(repo, file)), `${file} was written`);
  }
  assert.ok(existsSync(join(repo, 'qnli-ft.safetensors')) && existsSync(join(repo, 'docs/report/report.html')));
});

/** package.json's exports map `cfinit[/x]` to dist/…js; the same path under src/ as .ts is its source. */
function sourceOf(specifier: string, repo: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { default: string }>;
  };
  const key = specifier === 'cfinit' ? '.' : `./${specifier.slice('cfinit/'.length)}`;
  const target = pkg.exports[key]?.default;
  assert.ok(target, `package.json exports no '${specifier}'`);
  return join(repo, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

test('the README TypeScript snippets run as written', { timeout: 10 * 60_000 }, (t) => {
  const repo = existsSync(join(tmp, 'repo')) ? join(tmp, 'repo') : freshClone();
  const snippets = blocks('ts');
  assert.ok(snippets.length >= 3, `found ${snippets.length} TypeScript snippets`);
  for (const [i, code] of snippets.entries()) {
    const file = join(repo, `readme-snippet-${i}.ts`);
    writeFileSync(
      file,
      code.replace(/from '(cfinit(?:\/[\w-]+)?)'/g, (_, spec: string) => `from '${sourceOf(spec, repo)}'`),
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: repo, env, encoding: 'utf8' });
    t.diagnostic(`snippet ${i}: ${r.stdout.trim().split('\n').join(' | ')}`);
    assert.equal(r.status, 0, `snippet ${i}:\n${code}\n${r.stdout}${r.stderr}`);
    if (code.includes('referenceProxyInput')) {
      // the README's own number for the compute-matched step count on covtype
      assert.equal(r.stdout.trim().split('\n').at(-1), '140');
    }
  }
});
