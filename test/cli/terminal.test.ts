// The progress display on a terminal, through a pseudo-TTY (util-linux `script`): the bench header comes before
// the bar, the summary after the bar is cleared, and a run interrupted with Ctrl-C mid-bar still gets its cursor
// (and line wrapping) back. The plain, non-TTY order and the resume line are checked in test/bench/cli.test.ts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'cfinit-terminal-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, CFINIT_NUM_THREADS: '1', CFINIT_CACHE_DIR: join(tmp, 'cache') };
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const CLEAR_LINE = '\x1b[2K';
const CFINIT = `node ${join(root, 'bin', 'cfinit.js')}`;

/**
 * Runs `command` on a pseudo-terminal; `interrupt` types Ctrl-C once the bar is on screen. The shell around it
 * survives the interrupt (a trap runs nothing) and waits a moment, so the terminal is still open for whatever the
 * killed process leaves behind to be written to it.
 */
function onTerminal(command: string, interrupt = false): Promise<{ output: string; code: number | null }> {
  const shell = `trap : INT; ${command}; echo "EXIT=$?"; sleep 1`;
  const child = spawn('script', ['-qfec', shell, '/dev/null'], { cwd: root, env, stdio: 'pipe' });
  let output = '';
  let sent = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    if (interrupt && !sent && output.includes(HIDE_CURSOR)) {
      sent = true;
      setTimeout(() => child.stdin.write('\x03'), 300);
    }
  });
  return new Promise((res) => child.on('close', (code) => res({ output, code })));
}

test('bench on a terminal: the header before the bar, the summary after the bar is cleared', async (t) => {
  if (!hasScript) return t.skip('no `script` (util-linux) to make a pseudo-terminal');
  const out = join(tmp, 'bench');
  const args = `--quick --data-dir samples --rows 40,24 --scenarios covtype_mlp --out ${out}`;
  const { output, code } = await onTerminal(`${CFINIT} bench ${args}`);
  assert.equal(code, 0, output);
  assert.match(output, /EXIT=0/);
  const header = output.indexOf('cfinit bench: 17 jobs');
  const barStart = output.indexOf(HIDE_CURSOR);
  const summary = output.indexOf('Matched-budget finals');
  assert.ok(header >= 0 && barStart > header, 'the header is written before the bar starts');
  assert.ok(!/\[[^\]]*\] \d+\/17/.test(output.slice(0, header)), 'no bar frame before the header');
  const lastFrame = output.lastIndexOf('bench [');
  const cleared = output.lastIndexOf(CLEAR_LINE, summary);
  assert.ok(lastFrame < cleared && cleared < summary, 'the bar is cleared, then the summary is printed');
  assert.ok(output.lastIndexOf(SHOW_CURSOR, summary) > lastFrame, 'the cursor is shown again');
});

test('Ctrl-C during a bar: the process dies at once and the cursor and line wrapping come back', async (t) => {
  if (!hasScript) return t.skip('no `script` (util-linux) to make a pseudo-terminal');
  const args = '--scenario covtype_mlp --model backprop --data-dir samples --rows 40,24 --steps 10000000';
  const { output } = await onTerminal(`${CFINIT} train ${args} --out ${join(tmp, 'run')}`, true);
  const interrupted = output.indexOf('^C');
  assert.ok(interrupted > output.indexOf(HIDE_CURSOR), `Ctrl-C was typed while the bar ran:\n${output}`);
  assert.match(output, /EXIT=130/, 'the process was killed by SIGINT');
  const after = output.slice(interrupted);
  assert.ok(after.includes(SHOW_CURSOR), `no show-cursor escape after Ctrl-C: ${JSON.stringify(after)}`);
  assert.ok(after.includes('\x1b[?7h'), 'line wrapping is turned back on');
});
