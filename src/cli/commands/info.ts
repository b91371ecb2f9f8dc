// `cfinit info`: what this installation computes with.
import type { Command } from 'commander';
import { getNumThreads, parallelInfo, versions } from '../../torch/index.ts';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the libtorch version, threads and parallel backend')
    .action(() => {
      const v = versions();
      console.log(`libtorch ${v.torch} (N-API ${v.napi}), ${getNumThreads()} intra-op threads`);
      console.log(parallelInfo());
    });
}
