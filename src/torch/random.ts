// Seeded randomness. manualSeed seeds the global stream; a Generator is an independent stream, so
// views, shuffles and weight init can each have their own seed. Draws match PyTorch's CPU
// generator exactly (same seed, same op, same numbers).
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

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`seed must be a non-negative integer, got ${seed}`);
  return seed;
}

const defaultGenerator: Generator = Object.create(Generator.prototype, {
  nativeGenerator: { value: new native.GeneratorHandle() },
});

/** Seeds the global generator, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
