// Closed-form fits and frozen features on disk, so a resumed or sharded benchmark never refits: one folder per
// (scenario, seed, data fraction, fit fraction, closed-form options, data, code), named by the sha256 of all of it
// and holding that key in key.json (checked on every read). A folder is built under a staging name and published
// by one rename, so it is complete or absent; a corrupt one is said in a line, removed and recomputed. A cached fit
// carries the seconds measured when it was fitted: runs are charged what the fit cost, cached or not.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fsio.ts';
import { isProcessAlive } from '../staging.ts';
import { tensorChecksum, type Scenario } from '../data/index.ts';
import {
  codeDigest,
  loadFeatures,
  loadFit,
  saveFeatures,
  saveFit,
  type ClosedFormFit,
  type Features,
  type FitOptions,
} from '../train/index.ts';
import type { FitFraction } from './config.ts';

/** Bumped when the folder layout or the key's fields change. */
export const FIT_CACHE_FORMAT = 1;

/** What identifies a fit besides its scenario's data. */
export interface FitKey {
  scenario: string;
  seed: number;
  dataFraction: number;
  fitFraction: FitFraction;
  options: FitOptions;
}

export class FitCache {
  private data: string | null = null;

  /**
   * `root` is the cache folder (e.g. <cache dir>/fits); the data identity is the checksum of the scenario's train
   * and test tensors at the run's rows and seed, taken on first use.
   */
  constructor(
    private readonly root: string,
    private readonly scenario: Scenario,
    private readonly say: (line: string) => void,
  ) {}

  private folder(key: FitKey): { dir: string; record: string } {
    const s = this.scenario;
    this.data ??= tensorChecksum([s.train.raw, s.train.labels, s.test.raw, s.test.labels]);
    const record = JSON.stringify({ format: FIT_CACHE_FORMAT, ...key, data: this.data, code: codeDigest() });
    const hash = createHash('sha256').update(record).digest('hex').slice(0, 32);
    return { dir: join(this.root, hash), record };
  }

  /** A cached entry's folder if its key.json is this key; removes (and says so) one that is not. */
  private existing(key: FitKey): string | null {
    const { dir, record } = this.folder(key);
    let stored: string;
    try {
      stored = readFileSync(join(dir, 'key.json'), 'utf8');
    } catch {
      return null;
    }
    if (stored === record) return dir;
    this.discard(dir, 'its key.json is not the key it is filed under');
    return null;
  }

  private discard(dir: string, why: string): void {
    this.say(`fit cache: ${dir} ${why}; recomputing it`);
    const trash = `${dir}.stale-${process.pid}`;
    try {
      renameSync(dir, trash);
      rmSync(trash, { recursive: true, force: true });
    } catch {
      // another process removed or replaced it first
    }
  }

  /** The fit of key from the cache, or compute() saved into it. */
  fit(key: FitKey, compute: () => ClosedFormFit): ClosedFormFit {
    const dir = this.existing(key);
    if (dir) {
      try {
        return loadFit(dir);
      } catch (err) {
        this.discard(dir, `cannot be read (${(err as Error).message})`);
      }
    }
    const fit = compute();
    this.publish(key, (staging) => saveFit(staging, fit));
    return fit;
  }

  /** The features of key's fit from the cache, or compute() saved beside the fit. */
  features(key: FitKey, compute: () => Features): Features {
    const dir = this.existing(key);
    if (dir) {
      try {
        const cached = loadFeatures(dir);
        if (cached) return cached;
      } catch (err) {
        this.say(`fit cache: ${dir}: the features cannot be read (${(err as Error).message}); recomputing them`);
      }
    }
    const features = compute();
    const target = this.existing(key);
    if (target) saveFeatures(target, features);
    return features;
  }

  /** Builds a folder under a staging name and renames it into place (a concurrent writer's copy wins). */
  private publish(key: FitKey, write: (staging: string) => void): void {
    const { dir, record } = this.folder(key);
    mkdirSync(this.root, { recursive: true });
    this.removeStaleStaging();
    const staging = join(
      this.root,
      `.partial-${process.pid}-${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`,
    );
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      write(staging);
      writeFileAtomic(join(staging, 'key.json'), record);
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return; // published by another process meanwhile
      this.say(`fit cache: cannot write ${dir} (${code ?? (err as Error).message}); going on without it`);
    }
  }

  /** Staging folders of processes that were killed mid-write. */
  private removeStaleStaging(): void {
    for (const name of readdirSync(this.root)) {
      const m = /^\.partial-(\d+)-/.exec(name) ?? /\.stale-(\d+)$/.exec(name);
      if (m && !isProcessAlive(Number(m[1]))) rmSync(join(this.root, name), { recursive: true, force: true });
    }
  }
}
