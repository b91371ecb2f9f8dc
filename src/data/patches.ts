// Images to patch tokens for the image transformer.
import type { Tensor } from '../torch/index.ts';
import { positiveInt } from '../checks.ts';
import { ConfigError } from '../errors.ts';

/**
 * (N, C, H, W) → (N, (H/p)·(W/p), C·p·p): tokens in row-major order over the patch grid, each token's
 * features ordered (channel, row in patch, column in patch).
 */
export function patchify(images: Tensor, patch: number): Tensor {
  const [n, c, h, w] = images.shape;
  if (images.ndim !== 4 || h % positiveInt(patch, 'patchify: patch') !== 0 || w % patch !== 0) {
    throw new ConfigError(`patchify: expected (N, C, H, W) with H and W divisible by ${patch}, got [${images.shape}]`);
  }
  const gh = h / patch;
  const gw = w / patch;
  return images
    .reshape(n, c, gh, patch, gw, patch)
    .permute(0, 2, 4, 1, 3, 5)
    .reshape(n, gh * gw, c * patch * patch);
}
