// Writes a small ImageFolder (DIR/<class>/<i>.png) of two colour classes, for trying `--data images:DIR`.
// Usage: node scripts/example-images.mjs DIR
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const dir = process.argv[2];
if (!dir || dir === '--help' || dir === '-h') {
  console.log('usage: node scripts/example-images.mjs DIR   (two classes, red and blue, 30 PNG images each)');
  process.exit(dir ? 0 : 1);
}
for (const [name, r, b] of [
  ['red', 220, 30],
  ['blue', 30, 220],
]) {
  mkdirSync(join(dir, name), { recursive: true });
  for (let i = 0; i < 30; i++) {
    const background = { r: r - i, g: 60 + 3 * i, b: b + i };
    await sharp({ create: { width: 40, height: 30, channels: 3, background } })
      .png()
      .toFile(join(dir, name, `${i}.png`));
  }
}
console.log(`wrote ${dir}/red and ${dir}/blue, 30 PNG images each`);
