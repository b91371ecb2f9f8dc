// The one set of "is this option valid" checks every floor uses. Each throws a ConfigError naming the
// option and what was expected; each returns the value so it can be used inline.
import { ConfigError } from './errors.ts';

const show = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : String(value));

/** An integer ≥ 1. */
export function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${show(value)}`);
  }
  return value;
}

/** An integer ≥ 0. */
export function nonNegativeInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${show(value)}`);
  }
  return value;
}

/**
 * Room left above a seed for the internal offsets added to it (seed + 101, + 1000 + ℓ, … + 8000; see
 * REFERENCE.seedOffsets): every derived seed stays below 2^32, where the generator would alias it.
 */
export const SEED_OFFSET_ROOM = 2 ** 16;
/** The largest seed a user may give: libtorch's generator keeps 32 bits of a seed. */
export const MAX_SEED = 2 ** 32 - SEED_OFFSET_ROOM - 1;

/** An integer seed in [0, MAX_SEED] (larger ones would alias smaller ones modulo 2^32). */
export function seedValue(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_SEED) {
    throw new ConfigError(`${name} must be an integer in [0, ${MAX_SEED}] (2^32 − 2^16 − 1), got ${show(value)}`);
  }
  return value;
}

/** A finite number in [min, max] (either bound open when `exclusive` says so). */
export function finiteNumber(
  value: unknown,
  name: string,
  range: { min?: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean } = {},
): number {
  const { min = -Infinity, max = Infinity, exclusiveMin = false, exclusiveMax = false } = range;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (exclusiveMin ? value > min : value >= min) &&
    (exclusiveMax ? value < max : value <= max);
  if (!ok) {
    const lo = min === -Infinity ? '' : `${exclusiveMin ? '>' : '≥'} ${min}`;
    const hi = max === Infinity ? '' : `${exclusiveMax ? '<' : '≤'} ${max}`;
    const bounds = [lo, hi].filter(Boolean).join(' and ');
    throw new ConfigError(`${name} must be a finite number${bounds ? ` ${bounds}` : ''}, got ${show(value)}`);
  }
  return value as number;
}

/** A finite number > 0. */
export function positiveNumber(value: unknown, name: string): number {
  return finiteNumber(value, name, { min: 0, exclusiveMin: true });
}

/** One of the listed strings. */
export function oneOf<T extends string>(value: unknown, name: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${options.join(', ')}, got ${show(value)}`);
  }
  return value as T;
}
