// A progress display for long commands: a cli-progress bar on a TTY, plain lines otherwise (at most one
// every few seconds, so logs stay readable).
import cliProgress from 'cli-progress';

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
        clearOnComplete: false,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { fields: '' });
    return {
      update: (value, fields = {}) => bar.update(value, { fields: formatFields(fields) }),
      log: (line) => {
        stream.write(`\r\x1b[K${line}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
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
