// Seeded randomness. manualSeed seeds the global stream; a Generator is an independent stream, so
// views, shuffles and weight init can each have their own seed. Draws match PyTorch's CPU
// generator exactly (same seed, same op, same numbers).
import { ConfigError } from '../errors.ts';
import { native, type NativeGenerator } from './native.ts';
import { Tensor } from './tensor.ts';

export class Generator {
  readonly nativeGenerator: NativeGenerator;

  constructor(seed: number) {
    this.nativeGenerator = new native.GeneratorHandle(checkSeed(seed));
  }

  /** The global default generator (the one manualSeed seeds). */
  static get default(): Generator {
    return defaultGenerator;
  }

  manualSeed(seed: number): this {
    this.nativeGenerator.manualSeed(checkSeed(seed));
    return this;
  }
  initialSeed(): number {
    return this.nativeGenerator.initialSeed();
  }
  /** The complete stream state (uint8 tensor); setState(getState()) resumes the stream exactly. */
  getState(): Tensor {
    return new Tensor(this.nativeGenerator.getState());
  }
  setState(state: Tensor): void {
    this.nativeGenerator.setState(state.native);
  }
}

/** A seed in [0, 2^32): libtorch's generator keeps the low 32 bits, so a larger one would alias a smaller one. */
function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new ConfigError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

const defaultGenerator: Generator = Object.create(Generator.prototype, {
  nativeGenerator: { value: new native.GeneratorHandle() },
});

/** Seeds the global generator, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
