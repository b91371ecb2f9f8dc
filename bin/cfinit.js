#!/usr/bin/env node
// Runs the compiled CLI (dist/). Only in a source checkout whose src/ changed since the last build does it
// run the TypeScript sources through tsx (a devDependency) instead, so a checkout never runs stale code;
// an installed package (no src/, or inside node_modules) always runs dist/ alone.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist', 'cli', 'main.js');
const sources = path.join(root, 'src');
const installed = root.split(path.sep).includes('node_modules') || !existsSync(path.join(sources, 'cli', 'main.ts'));

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function fatal(message) {
  console.error(`cfinit: ${message}`);
  process.exit(1);
}

async function entry() {
  if (installed) {
    if (!existsSync(compiled)) fatal(`${compiled} is missing: this cfinit package was published without its build`);
    return pathToFileURL(compiled).href;
  }
  if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestMtime(sources)) return pathToFileURL(compiled).href;
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    fatal(`${path.join(root, 'dist')} is older than src/ and tsx is not installed: run \`npm run build\``);
  }
  return pathToFileURL(path.join(sources, 'cli', 'main.ts')).href;
}

const url = await entry();
try {
  await import(url);
} catch (err) {
  // main.ts reports every error of a command; this is a failure to load it (e.g. the native addon), or a user
  // error met while loading (a CfinitError, e.g. a bad CFINIT_NUM_THREADS): one line, exit 1
  if (err?.userError === true) {
    console.error(`cfinit: ${String(err.message).replace(/\s*\n\s*/g, ' ')}`);
    if (process.env.CFINIT_DEBUG === '1' || process.argv.includes('--verbose')) console.error(err.stack);
    process.exit(1);
  }
  console.error(`cfinit: internal error while starting (a bug or a broken install): ${err?.message ?? String(err)}`);
  console.error(err?.stack ?? '');
  process.exitCode = 2;
}
