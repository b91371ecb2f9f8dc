// The cfinit command line. Each command lives in its own module under src/cli/commands.
import { Command } from 'commander';
import { registerInfo } from './commands/info.ts';
import { registerData } from './commands/data.ts';

const program = new Command();
program
  .name('cfinit')
  .description('Closed-form neural network initialization: fit encoders analytically, train, benchmark.')
  .version('0.1.0');

registerInfo(program);
registerData(program);

await program.parseAsync(process.argv);
