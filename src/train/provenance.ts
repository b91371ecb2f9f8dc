// The git commit cfinit runs from, when it runs from a checkout (a record says which code produced it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// src/train/ and dist/train/ both sit two levels below the package root.
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GitState {
  commit: string;
  /** Tracked files differ from the commit. */
  dirty: boolean;
}

let cached: GitState | null | undefined;

/** HEAD of the checkout cfinit runs from, and whether tracked files are modified; null outside a checkout. */
export function gitState(): GitState | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (!existsSync(join(PACKAGE_ROOT, '.git'))) return cached;
  const git = (...args: string[]) => spawnSync('git', ['-C', PACKAGE_ROOT, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0 || !/^[0-9a-f]{40}$/.test(head.stdout.trim())) return cached;
  const status = git('status', '--porcelain', '--untracked-files=no');
  cached = { commit: head.stdout.trim(), dirty: status.status !== 0 || status.stdout.trim() !== '' };
  return cached;
}
