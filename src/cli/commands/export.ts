// `cfinit export RUN_DIR --torch OUT.safetensors`: a `cfinit train` run as the state_dict of a PyTorch module of
// python/cfinit_torch.py (shipped in the package), with the class and its arguments in the file's metadata.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { exportRun } from '../../train/index.ts';

/** python/ of this package, from src/cli/commands or dist/cli/commands alike. */
const PYTHON_DIR = resolve(import.meta.dirname, '..', '..', '..', 'python');

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export the weights of a cfinit train run (its --out folder) for PyTorch')
    .argument('<run-dir>', 'the --out folder of cfinit train (weights.safetensors + metrics.json)')
    .requiredOption(
      '--torch <file>',
      'the .safetensors file to write: the state_dict of a python/cfinit_torch.py module',
    )
    .action((runDir: string, flags: { torch: string }) => {
      const { className, tensors, bytes } = exportRun(runDir, flags.torch);
      console.log(`wrote ${flags.torch}: ${className}, ${tensors} tensors, ${bytes} bytes`);
      const python = `import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`;
      console.log(`in Python: ${python}; from cfinit_torch import load; model = load(${JSON.stringify(flags.torch)})`);
    });
}
