// Where datasets are read from and where extracted archives are cached.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// src/data/paths.ts and dist/data/paths.js both sit two levels below the repository root.
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The small slices of the four datasets shipped with the package (<repo>/samples, README there). */
export const SAMPLES_DIR = join(REPO_ROOT, 'samples');

/** The --data-dir flag, else CFINIT_DATA_DIR, else <repo>/../shared/data. */
export function resolveDataDir(flag?: string): string {
  if (flag) return resolve(flag);
  const env = process.env.CFINIT_DATA_DIR;
  if (env) return resolve(env);
  return resolve(REPO_ROOT, '..', 'shared', 'data');
}

/** CFINIT_CACHE_DIR, else ~/.cache/cfinit. */
export function resolveCacheDir(): string {
  const env = process.env.CFINIT_CACHE_DIR;
  return env ? resolve(env) : join(homedir(), '.cache', 'cfinit');
}
