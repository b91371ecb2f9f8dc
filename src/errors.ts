// Errors a user can act on. The CLI prints any CfinitError as one line (the message names the culprit and
// what was expected) and exits 1; anything else is a bug and is shown with its stack. Pure: no imports.

/** Base class of every error that is the user's input, not a bug (bad flag, file, config or data). */
export class CfinitError extends Error {
  override name = 'CfinitError';
  /** Marks a user error where the class cannot be imported (bin/cfinit.js, before the CLI has loaded). */
  readonly userError = true;
}

/** A tensor argument of the wrong shape (names the function, the argument, the expected and the actual shape). */
export class ShapeError extends CfinitError {
  override name = 'ShapeError';
}

/** A configuration value or option out of range (names the option and what was expected). */
export class ConfigError extends CfinitError {
  override name = 'ConfigError';
}
