// --help for the bench:* scripts: the usage is the script's own header comment, printed before anything runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The leading `//` comment of the file at url, without the comment markers. */
export function headerComment(url: string): string {
  const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
  const end = lines.findIndex((l) => !l.startsWith('//'));
  return lines
    .slice(0, end < 0 ? lines.length : end)
    .map((l) => l.replace(/^\/\/ ?/, ''))
    .join('\n');
}

/** With --help or -h among the arguments: prints the header comment of the script at url and exits 0. */
export function helpIfAsked(url: string): void {
  if (!process.argv.slice(2).some((a) => a === '--help' || a === '-h')) return;
  process.stdout.write(`${headerComment(url)}\n`);
  process.exit(0);
}
