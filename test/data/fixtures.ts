// Tiny dataset files in the official formats, written into a fresh temp dir per test file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { c as tarCreate } from 'tar';
import yazl from 'yazl';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cfinit-${prefix}-`));
  created.push(dir);
  return dir;
}

export function write(path: string, content: string | Uint8Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** Covtype rows: 54 features where feature j of row i is i·100 + j, label 1 + (i mod 7). */
export function covtypeRows(rows: number): string[] {
  return Array.from({ length: rows }, (_, i) =>
    [...Array.from({ length: 54 }, (_, j) => i * 100 + j), 1 + (i % 7)].join(','),
  );
}

export function covtypeHeader(): string {
  const names = Array.from({ length: 54 }, (_, j) => `f${j}`);
  return [...names, 'Cover_Type'].join(',');
}

/** CIFAR records; pixel (c, y, x) of record i is (i + 3c + y + x) mod 256. */
export function cifarRecords(n: number, variant: 'cifar100' | 'cifar10', label = (i: number) => i % 10): Uint8Array {
  const labelBytes = variant === 'cifar100' ? 2 : 1;
  const size = labelBytes + 3072;
  const out = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const at = i * size;
    if (variant === 'cifar100') out[at] = i % 20;
    out[at + labelBytes - 1] = label(i);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          out[at + labelBytes + c * 1024 + y * 32 + x] = (i + 3 * c + y + x) % 256;
        }
  }
  return out;
}

export function cifarPixel(i: number, c: number, y: number, x: number): number {
  return (i + 3 * c + y + x) % 256;
}

export function writeCifar100Folder(root: string, nTrain: number, nTest: number): string {
  const folder = join(root, 'cifar-100-binary');
  write(join(folder, 'train.bin'), cifarRecords(nTrain, 'cifar100'));
  write(join(folder, 'test.bin'), cifarRecords(nTest, 'cifar100'));
  write(join(folder, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class${i}`).join('\n') + '\n');
  return folder;
}

export async function tarGz(archive: string, cwd: string, entries: string[]): Promise<string> {
  mkdirSync(dirname(archive), { recursive: true });
  await tarCreate({ gzip: true, file: archive, cwd }, entries);
  return archive;
}

export async function zip(
  archive: string,
  files: Record<string, string | Uint8Array>,
  options: { compress?: boolean } = {},
): Promise<string> {
  mkdirSync(dirname(archive), { recursive: true });
  const z = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) z.addBuffer(Buffer.from(content), name, options);
  z.end();
  await new Promise<void>((ok, fail) => {
    const out = createWriteStream(archive);
    out.on('close', () => ok());
    out.on('error', fail);
    z.outputStream.pipe(out);
  });
  return archive;
}

export function qnliTsv(rows: [string, string, string][]): string {
  return (
    ['index\tquestion\tsentence\tlabel', ...rows.map((r, i) => `${i}\t${r[0]}\t${r[1]}\t${r[2]}`)].join('\n') + '\n'
  );
}

export { gzipSync };

/**
 * A user's CSV made on the spot: two informative numeric columns a and b, a text column colour (red, green, blue),
 * label y = 'yes' when a + 0.8·b + noise > 0, else 'no'. Seeded (a linear congruential stream, Box–Muller).
 */
export function userCsv(rows: number, seed = 1): string {
  let state = seed;
  const uniform = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 + 1e-12;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const lines = ['a,b,colour,y'];
  for (let i = 0; i < rows; i++) {
    const a = normal();
    const b = normal();
    const colour = ['red', 'green', 'blue'][Math.floor(uniform() * 3)]!;
    const y = a + 0.8 * b + 0.3 * normal() > 0 ? 'yes' : 'no';
    lines.push(`${a.toFixed(4)},${b.toFixed(4)},${colour},${y}`);
  }
  return `${lines.join('\n')}\n`;
}
