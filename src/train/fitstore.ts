// A closed-form fit and its frozen features on disk, as one folder: the encoder state (safetensors + manifest,
// checksummed by src/closedform/state.ts), fit.json (kind and cost) and, once extracted, features.safetensors.
// The benchmark's fit cache (src/bench/fitcache.ts) keys these folders; a loaded fit is the saved one bit for bit
// and carries the cost measured when it was fitted (what a run is charged).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMlpEncoder, loadTransformerEncoder, saveMlpEncoder, saveTransformerEncoder } from '../closedform/index.ts';
import { addonPath, loadSafetensors, saveSafetensorsSync, tidy } from '../torch/index.ts';
import { writeFileAtomic } from '../fsio.ts';
import type { ClosedFormFit, Features, FitCost } from './api.ts';

const ENCODER = 'encoder';
const COST = 'fit.json';
const FEATURES = 'features.safetensors';

interface CostFile extends FitCost {
  kind: ClosedFormFit['kind'];
}

function isCost(x: unknown): x is CostFile {
  const c = x as Partial<CostFile> | null;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return (
    typeof c === 'object' &&
    c !== null &&
    (c.kind === 'mlp' || c.kind === 'transformer') &&
    finite(c.fitSeconds) &&
    Number.isInteger(c.fitRows) &&
    finite(c.fitRows) &&
    Number.isInteger(c.probeRows) &&
    finite(c.probeRows)
  );
}

/** Writes a fit into `dir` (an existing, empty folder the caller publishes by renaming). */
export function saveFit(dir: string, fit: ClosedFormFit): void {
  const base = join(dir, ENCODER);
  if (fit.kind === 'mlp') saveMlpEncoder(base, fit.state, { fitSeconds: fit.fitSeconds });
  else saveTransformerEncoder(base, fit.state);
  const cost: CostFile = { kind: fit.kind, fitSeconds: fit.fitSeconds, fitRows: fit.fitRows, probeRows: fit.probeRows };
  writeFileAtomic(join(dir, COST), `${JSON.stringify(cost, null, 2)}\n`);
}

/** The fit saved in `dir`; throws (a StateFileError or Error naming the file) when anything is missing or corrupt. */
export function loadFit(dir: string): ClosedFormFit {
  const file = join(dir, COST);
  const cost: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCost(cost)) throw new Error(`${file}: not a fit cost record`);
  const base = join(dir, ENCODER);
  const { fitSeconds, fitRows, probeRows } = cost;
  if (cost.kind === 'mlp') return { kind: 'mlp', state: loadMlpEncoder(base), fitSeconds, fitRows, probeRows };
  return { kind: 'transformer', state: loadTransformerEncoder(base), fitSeconds, fitRows, probeRows };
}

export const featuresFile = (dir: string): string => join(dir, FEATURES);

/** Writes the features beside their fit (atomically: temp file and rename). */
export function saveFeatures(dir: string, features: Features): void {
  saveSafetensorsSync(
    featuresFile(dir),
    { train: features.train, test: features.test },
    {
      seconds: String(features.seconds),
    },
  );
}

/** The features saved beside a fit, or null when none were; throws when the file is corrupt or not finite. */
export function loadFeatures(dir: string): Features | null {
  const file = featuresFile(dir);
  if (!existsSync(file)) return null;
  const { tensors, metadata } = loadSafetensors(file);
  const { train, test } = tensors;
  const seconds = Number(metadata.seconds);
  const ok =
    train !== undefined &&
    test !== undefined &&
    Object.keys(tensors).length === 2 &&
    Number.isFinite(seconds) &&
    seconds >= 0 &&
    tidy(() => train.isfinite().all().item() && test.isfinite().all().item());
  if (!ok) {
    for (const t of Object.values(tensors)) t.dispose();
    throw new Error(`${file}: not the train and test features of a fit`);
  }
  return { train, test, seconds };
}

/** The code a fit's numbers depend on (src or dist folders of this package, read once per process). */
const CODE_FOLDERS = ['closedform', 'data', 'nn', 'torch', 'train'];
let digest: string | null = null;

/**
 * sha256 of the code that computes fits and features: every file under the package's closedform, data, nn, torch
 * and train folders, reference.(ts|js), and the native addon's bytes. Any edit, rebuild or upgrade changes it.
 */
export function codeDigest(): string {
  if (digest !== null) return digest;
  const root = dirname(dirname(fileURLToPath(import.meta.url))); // src/ or dist/
  const hash = createHash('sha256');
  const add = (file: string): void => {
    hash.update(`${file.slice(root.length)}\0`);
    hash.update(readFileSync(file));
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else add(p);
    }
  };
  for (const folder of CODE_FOLDERS) walk(join(root, folder));
  for (const name of ['reference.ts', 'reference.js']) if (existsSync(join(root, name))) add(join(root, name));
  hash.update(readFileSync(addonPath));
  return (digest = hash.digest('hex'));
}
