#!/usr/bin/env node
// Runs the compiled CLI (npm run build) when it is up to date, else the TypeScript sources through
// tsx (a checkout where src/ changed since the last build must never run stale code).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const sources = path.join(root, 'src');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const compiledIsCurrent = existsSync(compiled) &&
  (!existsSync(sources) || statSync(compiled).mtimeMs >= newestMtime(sources));
if (compiledIsCurrent) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(sources, 'cli', 'main.ts')).href);
}
