// Modules own named parameters and child modules; parameters are kept out of tidy() scopes.
import { keep, noGrad, type Generator, type Tensor } from '../torch/index.ts';

export abstract class Module {
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, value: Tensor): Tensor {
    if (!value.isLeaf) throw new Error(`parameter '${name}' must be a leaf tensor (detach it first)`);
    keep(value.requiresGrad_(true));
    this.ownParameters.set(name, value);
    return value;
  }

  /** A tensor saved with the module's state but never trained. */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    keep(value);
    this.ownBuffers.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, p] of this.ownParameters) out.push([prefix + name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.ownBuffers) out.push([prefix + name, b]);
    for (const [name, child] of this.children) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Parameters and buffers by dotted name (the layout of PyTorch's state_dict). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Copies values in place; every name must exist with the same shape. */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): void {
    const own = this.stateDict();
    for (const [name, value] of Object.entries(state)) {
      const target = own[name];
      if (!target) {
        if (options.strict ?? true) throw new Error(`loadStateDict: unexpected key '${name}'`);
        continue;
      }
      if (target.shape.join() !== value.shape.join()) {
        throw new Error(`loadStateDict: '${name}' has shape [${value.shape}], the module expects [${target.shape}]`);
      }
      noGrad(() => target.copy_(value));
    }
    if (options.strict ?? true) {
      const missing = Object.keys(own).filter((k) => !(k in state));
      if (missing.length > 0) throw new Error(`loadStateDict: missing keys ${missing.join(', ')}`);
    }
  }

  /**
   * Fills the parameters in place with the module's default initialisation, drawing from generator (the global
   * stream when absent). The base resets the children in registration order (PyTorch's draw order); modules
   * with parameters of their own override it.
   */
  resetParameters(generator?: Generator): void {
    for (const child of this.children.values()) child.resetParameters(generator);
  }

  /** The child modules in registration order, with their dotted names, this module first (as named_modules). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.children) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}
