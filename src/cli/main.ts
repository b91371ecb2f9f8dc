// The cfinit command line. Each command lives in its own module under src/cli/commands.
import { Command, CommanderError } from 'commander';
import { CfinitError } from '../errors.ts';
import { registerBench } from './commands/bench.ts';
import { registerInfo } from './commands/info.ts';
import { registerData } from './commands/data.ts';
import { registerExport } from './commands/export.ts';
import { registerReport } from './commands/report.ts';
import { registerTrain } from './commands/train.ts';

const debug = (): boolean => process.env.CFINIT_DEBUG === '1' || process.argv.includes('--verbose');

/** A user error is one line naming the culprit, exit 1; anything else is a bug, shown with its stack. */
function report(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1; // commander printed it already
  if (err instanceof CfinitError) {
    console.error(`cfinit: ${err.message.replace(/\s*\n\s*/g, ' ')}`); // one line, whatever the cause quoted
    if (debug()) console.error(err.stack);
    return 1;
  }
  console.error(`cfinit: internal error (a bug; please report it): ${(err as Error)?.message ?? String(err)}`);
  console.error((err as Error)?.stack ?? '');
  return 2;
}

const program = new Command();
program
  .name('cfinit')
  .description('Closed-form neural network initialization: fit encoders analytically, train, benchmark.')
  .version('0.1.0')
  .option('--verbose', 'show stack traces of errors')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`cfinit: ${text.replace(/^error: /, '')}`) });

registerBench(program);
registerInfo(program);
registerData(program);
registerExport(program);
registerReport(program);
registerTrain(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = report(err);
}
