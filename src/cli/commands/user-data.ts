// The flags that say how a user's data (`--data csv:FILE`, `text:`, `lm:`, `images:`) is read, shared by `train`
// and `bench`; the scenario kind checks which of them apply.
import type { Command } from 'commander';
import { USER_DATA_DEFAULTS, type UserDataOptions } from '../../data/index.ts';
import { finiteNumber } from '../../checks.ts';
import { ConfigError } from '../../errors.ts';

export interface UserDataFlags {
  label?: string;
  textCol?: string;
  test?: string;
  testFraction?: string;
  fill?: string;
  maxCategories?: string;
}

export function addUserDataOptions(command: Command): Command {
  const d = USER_DATA_DEFAULTS;
  return command
    .option('--label <column>', `csv:/text: the label column (default ${d.label})`)
    .option('--text-col <columns>', `text: the text column, or several joined by a space (default ${d.textColumns})`)
    .option('--test <path>', 'csv:/text: a test file with the same columns; images: a test folder of the same classes')
    .option('--test-fraction <f>', `without --test: seeded fraction of the rows held out (default ${d.testFraction})`)
    .option('--fill <mode>', "csv: none (a missing value is an error) or mean (the train rows' column mean)")
    .option('--max-categories <n>', `csv: most distinct values of a text column, one-hot (default ${d.maxCategories})`);
}

/** The flags as UserDataOptions (undefined when none is given), numbers checked here to name the flag. */
export function userDataOptions(flags: UserDataFlags): UserDataOptions | undefined {
  const number = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\s*[\d.eE+-]+\s*$/.test(value)) throw new ConfigError(`${flag} must be a number, got '${value}'`);
    return Number(value);
  };
  const testFraction = number(flags.testFraction, '--test-fraction');
  if (testFraction !== undefined) {
    finiteNumber(testFraction, '--test-fraction', { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  }
  const maxCategories = number(flags.maxCategories, '--max-categories');
  if (maxCategories !== undefined && !(Number.isSafeInteger(maxCategories) && maxCategories >= 1)) {
    throw new ConfigError(`--max-categories must be a positive integer, got '${flags.maxCategories}'`);
  }
  if (flags.fill !== undefined && flags.fill !== 'none' && flags.fill !== 'mean') {
    throw new ConfigError(`--fill must be one of none, mean, got '${flags.fill}'`);
  }
  const options: UserDataOptions = {
    label: flags.label,
    textColumns: flags.textCol?.split(',').map((c) => c.trim()),
    test: flags.test,
    testFraction,
    fill: flags.fill as UserDataOptions['fill'],
    maxCategories,
  };
  return Object.values(options).some((v) => v !== undefined) ? options : undefined;
}
