// `cfinit data check`: load the four scenarios and print shapes, class counts, a checksum and load time.
// `cfinit data download <name>`: fetch an official archive (needs a network connection).
import type { Command } from 'commander';
import { join } from 'node:path';
import {
  CIFAR100_DOWNLOAD,
  COVTYPE_DOWNLOAD,
  downloadDataset,
  loadScenario,
  QNLI_DOWNLOAD,
  resolveCacheDir,
  resolveDataDir,
  SCENARIO_NAMES,
  tensorChecksum,
  WIKITEXT2_DOWNLOAD,
  type DownloadSpec,
  type Scenario,
} from '../../data/index.ts';
import { dispose, tidy, type Tensor } from '../../torch/index.ts';
import { oneOf, seedValue } from '../../checks.ts';
import { CfinitError } from '../../errors.ts';

/** Some scenarios failed to load; each failure was printed above. */
export class DataCheckError extends CfinitError {
  override name = 'DataCheckError';
}

const DOWNLOADS: Record<string, { spec: DownloadSpec; folder: string }> = {
  covtype: { spec: COVTYPE_DOWNLOAD, folder: 'covtype' },
  cifar100: { spec: CIFAR100_DOWNLOAD, folder: 'cifar-100' },
  qnli: { spec: QNLI_DOWNLOAD, folder: 'qnli' },
  wikitext2: { spec: WIKITEXT2_DOWNLOAD, folder: 'wikitext-2' },
};

function classCounts(labels: Tensor, numClasses: number): string {
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of labels.toInt32Array()) counts[y]++;
  if (numClasses <= 10) return `[${counts.join(', ')}]`;
  const present = counts.filter((c) => c > 0).sort((a, b) => a - b);
  return (
    `${present.length}/${numClasses} classes present, ` +
    `per present class min ${present[0]}, max ${present[present.length - 1]}`
  );
}

function describe(s: Scenario, seconds: number): string[] {
  const checksum = tidy(() =>
    tensorChecksum([s.train.raw, s.train.labels, s.test.raw, s.test.labels, s.encode(s.test.raw)]),
  );
  const details = Object.entries(s.details)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    `${s.name}  (${s.architecture}, ${s.task}, pooling ${s.pooling}, metric ${s.metric}, view ${s.view.kind})`,
    `  train raw [${s.train.raw.shape}] ${s.train.raw.dtype}, labels [${s.train.labels.shape}]; ` +
      `test raw [${s.test.raw.shape}], labels [${s.test.labels.shape}]; encoded input [${s.inputShape}]`,
    `  classes ${s.numClasses}; train ${classCounts(s.train.labels, s.numClasses)}`,
    `  test ${classCounts(s.test.labels, s.numClasses)}`,
    `  checksum ${checksum}   loaded in ${seconds.toFixed(2)} s`,
    `  ${details}`,
  ];
}

export function registerData(program: Command): void {
  const data = program.command('data').description('dataset loaders and the four benchmark scenarios');

  data
    .command('check')
    .description('load all four scenarios from the local copies; print shapes, class counts, checksums, load time')
    .option('--data-dir <dir>', 'dataset folder (default: $CFINIT_DATA_DIR, else <repo>/../shared/data)')
    .option('--seed <n>', 'seed of the train/test draws', '0')
    .option('--only <names>', `comma-separated subset of ${SCENARIO_NAMES.join(', ')}`)
    .action(async (opts: { dataDir?: string; seed: string; only?: string }) => {
      const dataDir = resolveDataDir(opts.dataDir);
      const cacheDir = resolveCacheDir();
      const seed = seedValue(/^\s*\d+\s*$/.test(opts.seed) ? Number(opts.seed) : opts.seed, '--seed');
      const names = (opts.only ? opts.only.split(',').map((n) => n.trim()) : [...SCENARIO_NAMES]).map((n) =>
        oneOf(n, '--only', SCENARIO_NAMES),
      );
      console.log(`data dir ${dataDir}; cache dir ${cacheDir}`);
      const started = performance.now();
      const failed: string[] = [];
      for (const [i, name] of names.entries()) {
        process.stderr.write(`[${i + 1}/${names.length}] loading ${name} ...\n`);
        const t0 = performance.now();
        let scenario: Scenario;
        try {
          scenario = await loadScenario(name, { dataDir, cacheDir, seed });
        } catch (err) {
          if (!(err instanceof CfinitError)) throw err; // a bug: stop and show it
          console.error(`cfinit: ${name}: ${err.message}`);
          failed.push(name);
          continue;
        }
        const seconds = (performance.now() - t0) / 1000;
        for (const line of describe(scenario, seconds)) console.log(line);
        dispose(scenario);
      }
      const total = ((performance.now() - started) / 1000).toFixed(2);
      if (failed.length > 0) {
        throw new DataCheckError(
          `${failed.length} of ${names.length} scenarios failed to load (${failed.join(', ')}); see above`,
        );
      }
      console.log(`all ${names.length} scenarios loaded in ${total} s`);
    });

  data
    .command('download <name>')
    .description(`fetch an official dataset file (${Object.keys(DOWNLOADS).join(', ')}); needs a network connection`)
    .option('--data-dir <dir>', 'dataset folder (default: $CFINIT_DATA_DIR, else <repo>/../shared/data)')
    .action(async (name: string, opts: { dataDir?: string }) => {
      const entry = DOWNLOADS[oneOf(name, 'dataset name', Object.keys(DOWNLOADS))];
      const { path, fetched } = await downloadDataset(entry.spec, join(resolveDataDir(opts.dataDir), entry.folder));
      console.log(`${name}: ${path} (${fetched ? 'downloaded, ' : 'already present, '}sha256 verified)`);
    });
}
