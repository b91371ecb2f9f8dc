// Every `npm run bench:*` script answers --help with its usage, its header comment, and exits 0 before running
// anything: the output is exactly that comment (bench/usage.ts; -h does the same).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { headerComment } from '../../bench/usage.ts';

const root = resolve(import.meta.dirname, '..', '..');
const scripts = Object.entries(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
).filter(([name]) => name.startsWith('bench:'));

test('package.json has the bench:* scripts the README lists', () => {
  assert.ok(scripts.length >= 4, `found ${scripts.map(([n]) => n).join(', ')}`);
});

for (const [name, command] of scripts) {
  test(`npm run ${name} -- --help prints its usage and exits 0 without running anything`, () => {
    const file = /\bbench\/[\w-]+\.ts\b/.exec(command)?.[0];
    assert.ok(file, `${name}: '${command}' runs no bench/*.ts script`);
    const usage = `${headerComment(pathToFileURL(join(root, file)).href)}\n`;
    assert.match(usage, new RegExp(`^Usage: npm run ${name} -- `, 'm'));
    const r = spawnSync('npm', ['run', '--silent', name, '--', '--help'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, usage);
    assert.equal(r.stderr, '');
  });
}
