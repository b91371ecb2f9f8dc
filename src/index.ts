// cfinit's public entry point: each floor as a namespace (also importable as cfinit/torch, …).
export * as torch from './torch/index.ts';
export * as nn from './nn/index.ts';
export * as closedform from './closedform/index.ts';
export * as data from './data/index.ts';
export * as train from './train/index.ts';
export * as bench from './bench/index.ts';
export { REFERENCE, SCENARIOS, SCENARIO_SHAPES } from './reference.ts';
export { CfinitError, ConfigError, ShapeError } from './errors.ts';
export { FileWriteError } from './fsio.ts';
