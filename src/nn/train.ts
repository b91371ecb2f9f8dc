// One optimisation step, the unit every training loop repeats.
import { tidy, type Tensor } from '../torch/index.ts';
import type { Optimizer } from './optim.ts';

/**
 * Clears the gradients, computes the loss (its intermediates freed on return), back-propagates it
 * and applies the optimizer's update. Returns the loss value before the update.
 */
export function trainStep(optimizer: Optimizer, computeLoss: () => Tensor): number {
  optimizer.zeroGrad();
  const loss = tidy(() => {
    const value = computeLoss();
    value.backward();
    return value.item();
  });
  optimizer.step();
  return loss;
}
