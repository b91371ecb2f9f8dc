// `cfinit data check`: load the four scenarios and print shapes, class counts, a checksum and load time.
// `cfinit data download <name>`: fetch an official archive (needs a network connection).
import type { Command } from 'commander';
import { join } from 'node:path';
import {
  CIFAR100_DOWNLOAD, COVTYPE_DOWNLOAD, downloadDataset, loadScenario, QNLI_DOWNLOAD, resolveCacheDir, resolveDataDir,
  SCENARIO_NAMES, tensorChecksum, WIKITEXT2_DOWNLOAD, type DownloadSpec, type Scenario, type ScenarioName,
} from '../../data/index.ts';
import { dispose, tidy, type Tensor } from '../../torch/index.ts';

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
  return `${present.length}/${numClasses} classes present, per present class min ${present[0]}, max ${present[present.length - 1]}`;
}

function describe(s: Scenario, seconds: number): string[] {
  const checksum = tidy(() => tensorChecksum([
    s.train.raw, s.train.labels, s.test.raw, s.test.labels, s.encode(s.test.raw),
  ]));
  const details = Object.entries(s.details).map(([k, v]) => `${k}=${v}`).join(', ');
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
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${opts.seed}'`);
      const names = (opts.only ? opts.only.split(',').map((n) => n.trim()) : [...SCENARIO_NAMES]) as ScenarioName[];
      for (const n of names) {
        if (!(SCENARIO_NAMES as readonly string[]).includes(n)) throw new Error(`unknown scenario '${n}'; expected one of ${SCENARIO_NAMES.join(', ')}`);
      }
      console.log(`data dir ${dataDir}; cache dir ${cacheDir}`);
      const started = performance.now();
      for (const [i, name] of names.entries()) {
        process.stderr.write(`[${i + 1}/${names.length}] loading ${name} ...\n`);
        const t0 = performance.now();
        const scenario = await loadScenario(name, dataDir, cacheDir, {
          covtype_mlp: { seed }, cifar100_transformer: { seed }, qnli_transformer: { seed },
          wikitext2_next_token_transformer: { seed },
        });
        const seconds = (performance.now() - t0) / 1000;
        for (const line of describe(scenario, seconds)) console.log(line);
        dispose(scenario);
      }
      console.log(`all ${names.length} scenarios loaded in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    });

  data
    .command('download <name>')
    .description(`fetch an official dataset file (${Object.keys(DOWNLOADS).join(', ')}); needs a network connection`)
    .option('--data-dir <dir>', 'dataset folder (default: $CFINIT_DATA_DIR, else <repo>/../shared/data)')
    .action(async (name: string, opts: { dataDir?: string }) => {
      const entry = DOWNLOADS[name];
      if (!entry) throw new Error(`unknown dataset '${name}'; expected one of ${Object.keys(DOWNLOADS).join(', ')}`);
      const path = await downloadDataset(entry.spec, join(resolveDataDir(opts.dataDir), entry.folder));
      console.log(`${name}: ${path} (sha256 verified)`);
    });
}
