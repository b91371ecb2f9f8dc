// A progress display for long commands: a cli-progress bar on a TTY, plain lines otherwise (at most one
// every few seconds, so logs stay readable). Lines printed while a bar runs go above it; the bar is cleared
// when it stops, so what follows (a summary table) starts on a clean line.
import { spawn } from 'node:child_process';
import cliProgress from 'cli-progress';
import type { PhaseListener } from '../train/index.ts';

export interface Progress {
  /** Sets the position (0..total) and the named fields shown after the bar. */
  update(value: number, fields?: Record<string, string | number>): void;
  /** Prints a line above the bar (or as a plain line). */
  log(line: string): void;
  stop(): void;
}

function formatFields(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('  ');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4);
}

/** Phases shorter than this are not worth a line. */
export const PHASE_LINE_SECONDS = 1;

/** One line per phase that took at least PHASE_LINE_SECONDS, e.g. `fitting the closed-form encoder …: 2.3 s`. */
export function phaseLines(log: (line: string) => void): PhaseListener {
  return (phase, seconds, what) => {
    if (seconds >= PHASE_LINE_SECONDS) log(`${phase} ${what}: ${seconds.toFixed(1)} s`);
  };
}

/**
 * cli-progress hides the cursor and turns off line wrapping while its bar runs, and undoes both in stop(). A
 * process killed meanwhile (Ctrl-C: SIGINT's default action, which takes effect at once; a JS handler would wait
 * for the event loop, blocked by the synchronous training and fitting for minutes) never gets to. So a shell that
 * ignores SIGINT holds the read end of a pipe from this process: when the pipe closes without `done` (this process
 * died), it writes the line-wrap and show-cursor escapes to the terminal. It keeps nothing of this process alive.
 */
function cursorGuard(fd: number): { release(): void } {
  const script = `trap '' INT TERM HUP; read -r line; [ "$line" = done ] || printf '\\033[?7h\\033[?25h'`;
  const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', fd, 'ignore'] });
  const pipe = child.stdin!;
  child.on('error', () => {}); // no /bin/sh: the cursor is shown on a clean stop only, as before
  pipe.on('error', () => {});
  child.unref();
  (pipe as unknown as { unref(): void }).unref();
  return { release: () => pipe.end('done\n') };
}

/** A bar of `total` units labelled `label`; `stream` defaults to stderr so stdout keeps only results. */
export function createProgress(
  label: string,
  total: number,
  options: { stream?: NodeJS.WriteStream; plainEverySec?: number } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {fields} | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
        clearOnComplete: true,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    const guard = cursorGuard((stream as { fd?: number }).fd ?? 2); // process.stderr.fd: 2
    bar.start(total, 0, { fields: '' });
    let running = true;
    return {
      update: (value, fields = {}) => {
        if (running) bar.update(value, { fields: formatFields(fields) });
      },
      log: (line) => {
        if (!running) return void stream.write(`${line}\n`);
        stream.write(`\r\x1b[K${line}\n`);
        bar.render();
      },
      stop: () => {
        if (!running) return;
        running = false;
        bar.stop();
        guard.release();
      },
    };
  }
  const every = (options.plainEverySec ?? 5) * 1000;
  const started = performance.now();
  let last = -Infinity;
  let lastValue = 0;
  const line = (value: number, fields: Record<string, string | number>) => {
    const elapsed = (performance.now() - started) / 1000;
    const eta = value > 0 && value < total ? ` eta ${((elapsed / value) * (total - value)).toFixed(0)}s` : '';
    stream.write(`${label} ${value}/${total} ${formatFields(fields)}${eta}\n`);
  };
  return {
    update: (value, fields = {}) => {
      lastValue = value;
      const now = performance.now();
      if (now - last >= every || value >= total) {
        last = now;
        line(value, fields);
      }
    },
    log: (text) => stream.write(`${text}\n`),
    stop: () => {
      if (lastValue < total && last === -Infinity) line(lastValue, {});
    },
  };
}
