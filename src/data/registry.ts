// The scenario axis: one entry per scenario, keyed by name. The trainer, the benchmark, the report and the CLI
// read titles, datasets, reference sizes and loaders from here. The four reference scenarios are entries; a
// kind (e.g. `csv:` for a user's file) resolves names of the form `<kind>:<argument>` to entries.
import { ConfigError } from '../errors.ts';
import { REFERENCE, SCENARIOS, SCENARIO_SHAPES } from '../reference.ts';
import { dispose } from '../torch/index.ts';
import { loadCifar } from './cifar.ts';
import { loadCovtype } from './covtype.ts';
import { resolveCacheDir, resolveDataDir } from './paths.ts';
import { loadQnli } from './qnli.ts';
import type { Scenario } from './scenario.ts';
import { USER_DATA_FLAGS, USER_DATA_KINDS, type UserDataOptions } from './userdata.ts';
import { buildCifarScenario, buildCovtypeScenario, buildQnliScenario, buildWikiTextScenario } from './scenarios.ts';
import { loadWikiText2 } from './wikitext.ts';

/**
 * Options every scenario takes: the seed of its row draws and its sizes (default: the entry's), and for a user's
 * data (`csv:`, `text:`, …) how to read it.
 */
export interface LoadOptions {
  seed?: number;
  nTrain?: number;
  nTest?: number;
  data?: UserDataOptions;
}

/** Where a scenario's files are: the dataset folder and the archive cache. */
export interface DataSource {
  dataDir: string;
  cacheDir: string;
}

/** Train/test rows, token shape (tokens 0 for a table) and classes, known before loading. */
export interface ScenarioSizes {
  nTrain: number;
  nTest: number;
  tokens: number;
  /** Width of one input: feature columns, or the token width d. */
  dim: number;
  classes: number;
}

export interface ScenarioEntry {
  name: string;
  /** Display title, e.g. 'Covtype / MLP'. */
  title: string;
  /** Short dataset name recorded in result rows. */
  dataset: string;
  architecture: 'mlp' | 'transformer';
  metric: 'accuracy' | 'validation_cross_entropy';
  /** Sizes at the default options (job cost estimates before loading); null when only loading tells. */
  sizes: ScenarioSizes | null;
  /** The reference's published matched-budget finals by model (empty for scenarios it did not run). */
  published: Readonly<Record<string, number>>;
  /** The reference's published low-data finals: by data fraction ('0.1'), then model. */
  publishedLowData: Readonly<Record<string, Readonly<Record<string, number>>>>;
  load(source: DataSource, options: LoadOptions): Promise<Scenario>;
}

/** Resolves `<kind>:<argument>` names (a user's data) to entries. */
export interface ScenarioKind {
  kind: string;
  /** What the argument is, for help and errors (e.g. 'PATH to a CSV file with a header row'). */
  argument: string;
  entry(name: string, argument: string): ScenarioEntry;
}

function reference(
  name: (typeof SCENARIOS)[number],
  title: string,
  dataset: string,
  load: ScenarioEntry['load'],
): ScenarioEntry {
  const shape = SCENARIO_SHAPES[name];
  const table = 'features' in shape;
  return {
    name,
    title,
    dataset,
    architecture: table ? 'mlp' : 'transformer',
    metric: name === 'wikitext2_next_token_transformer' ? 'validation_cross_entropy' : 'accuracy',
    sizes: {
      nTrain: shape.nTrain,
      nTest: shape.nTest,
      tokens: table ? 0 : shape.tokens,
      dim: table ? shape.features : shape.dim,
      classes: shape.classes,
    },
    published: REFERENCE.published[name],
    publishedLowData: REFERENCE.publishedLowData[name],
    load: async (source, options) => {
      const given = Object.entries(options.data ?? {}).filter(([, v]) => v !== undefined);
      if (given.length > 0) {
        const [option] = given[0]!;
        const flag = USER_DATA_FLAGS[option as keyof UserDataOptions];
        throw new ConfigError(`${flag} (${option}) applies to a user's data (csv:, text:, lm:, images:), not ${name}`);
      }
      return load(source, options);
    },
  };
}

const ENTRIES: readonly ScenarioEntry[] = [
  reference('covtype_mlp', 'Covtype / MLP', 'covtype', async ({ dataDir }, o) =>
    buildCovtypeScenario(loadCovtype(dataDir), o),
  ),
  reference('cifar100_transformer', 'CIFAR-100 / Transformer', 'cifar100', async ({ dataDir, cacheDir }, o) => {
    const data = await loadCifar(dataDir, cacheDir, 'cifar100');
    try {
      return buildCifarScenario(data, o);
    } finally {
      dispose([data.train, data.test]);
    }
  }),
  reference('qnli_transformer', 'QNLI / Transformer', 'qnli', async ({ dataDir, cacheDir }, o) =>
    buildQnliScenario(await loadQnli(dataDir, cacheDir), o),
  ),
  reference(
    'wikitext2_next_token_transformer',
    'WikiText-2 next token / Transformer',
    'wikitext2',
    async ({ dataDir, cacheDir }, o) => buildWikiTextScenario(await loadWikiText2(dataDir, cacheDir), o),
  ),
];

const KINDS = new Map<string, ScenarioKind>();

/** Adds a `<kind>:` family of scenario names (one call per kind, at module load). */
export function registerScenarioKind(kind: ScenarioKind): void {
  if (KINDS.has(kind.kind)) throw new Error(`scenario kind '${kind.kind}' is registered twice`);
  KINDS.set(kind.kind, kind);
}

for (const kind of USER_DATA_KINDS) registerScenarioKind(kind);

/** The reference scenarios, in the benchmark's order. */
export const REFERENCE_SCENARIOS: readonly ScenarioEntry[] = ENTRIES;

/** The entry of a scenario name: a reference scenario, or `<kind>:<argument>`; a ConfigError naming `flag` else. */
export function scenarioEntry(name: string, flag = 'scenario'): ScenarioEntry {
  const exact = ENTRIES.find((e) => e.name === name);
  if (exact) return exact;
  const colon = name.indexOf(':');
  const kind = colon > 0 ? KINDS.get(name.slice(0, colon)) : undefined;
  if (kind) {
    const argument = name.slice(colon + 1);
    if (argument === '') throw new ConfigError(`${flag}: '${name}' needs ${kind.argument} after '${kind.kind}:'`);
    return kind.entry(name, argument);
  }
  const kinds = [...KINDS.values()].map((k) => `${k.kind}:<${k.argument}>`);
  throw new ConfigError(
    `${flag} must be one of ${[...ENTRIES.map((e) => e.name), ...kinds].join(', ')}, got '${name}'`,
  );
}

/**
 * Loads a scenario by name with the seed and sizes of options, from options.dataDir (default: --data-dir's
 * rule, resolveDataDir) and options.cacheDir (default: CFINIT_CACHE_DIR or ~/.cache/cfinit).
 */
export function loadScenario(name: string, options: LoadOptions & Partial<DataSource> = {}): Promise<Scenario> {
  const { dataDir, cacheDir, ...rest } = options;
  const source = { dataDir: dataDir ?? resolveDataDir(undefined), cacheDir: cacheDir ?? resolveCacheDir() };
  return scenarioEntry(name).load(source, rest);
}
