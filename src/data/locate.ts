// Finding a dataset's files among the places users put them.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The first existing path among the candidates, or null. */
export function firstExisting(candidates: readonly string[]): string | null {
  for (const c of candidates) if (existsSync(c)) return c;
  return null;
}

/** Files directly inside dir whose name matches pattern, sorted by name; [] when dir is missing. */
export function filesMatching(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** A folder (searched in dirs) that contains every one of the named files. */
export function folderWith(dirs: readonly string[], names: readonly string[]): string | null {
  for (const dir of dirs) {
    if (names.every((n) => existsSync(join(dir, n)))) return dir;
  }
  return null;
}
