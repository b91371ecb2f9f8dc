// Fixed sin-cos position tables (never trained).
import { arange, cat, tidy, type Tensor } from '../torch/index.ts';
import { positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';

/** ω_k = 10000^(−k/n), k = 0..n−1 (float64). */
function frequencies(n: number): Tensor {
  return arange(0, n, 1, { dtype: 'float64' }).div(-n).mul(Math.log(10000)).exp();
}

/** (length, dim): row p = [sin(p·ω) | cos(p·ω)] with ω_k = 10000^(−k/(dim/2)). */
export function sincos1d(length: number, dim: number): Tensor {
  if (positiveInt(dim, 'sincos1d: dim') % 2 !== 0) throw new ConfigError(`sincos1d: dim must be even, got ${dim}`);
  return tidy(() => {
    const angles = arange(0, length, 1, { dtype: 'float64' }).outer(frequencies(dim / 2));
    return cat([angles.sin(), angles.cos()], 1).float();
  });
}

/**
 * (grid², dim) for a grid×grid token layout in row-major order: token r·grid + c gets
 * [sin(c·ω) | cos(c·ω) | sin(r·ω) | cos(r·ω)] with ω_k = 10000^(−k/(dim/4)).
 */
export function sincos2d(grid: number, dim: number): Tensor {
  if (positiveInt(dim, 'sincos2d: dim') % 4 !== 0) {
    throw new ConfigError(`sincos2d: dim must be a multiple of 4, got ${dim}`);
  }
  return tidy(() => {
    const omega = frequencies(dim / 4);
    const index = arange(0, grid * grid, 1, { dtype: 'float64' });
    const col = index.remainder(grid);
    const row = index.sub(col).div(grid);
    const colAngles = col.outer(omega);
    const rowAngles = row.outer(omega);
    return cat([colAngles.sin(), colAngles.cos(), rowAngles.sin(), rowAngles.cos()], 1).float();
  });
}
