// Errors that tell the user which file (and which line or record) is wrong and what was expected.
import { CfinitError } from '../errors.ts';

/** A dataset file whose content does not match its official format. */
export class DataFormatError extends CfinitError {
  override name = 'DataFormatError';
  constructor(
    readonly file: string,
    /** e.g. "line 17", "record 3", or null when the whole file is at fault. */
    readonly location: string | null,
    readonly expected: string,
    readonly found?: string,
  ) {
    const at = location ? ` (${location})` : '';
    super(`${file}${at}: expected ${expected}${found === undefined ? '' : `, found ${found}`}`);
  }
}

/** No local copy of a dataset was found; says where we looked and where the official copy lives. */
export class DatasetNotFoundError extends CfinitError {
  override name = 'DatasetNotFoundError';
  constructor(
    readonly dataset: string,
    readonly searched: readonly string[],
    readonly officialUrl: string,
  ) {
    super(
      `${dataset}: no local copy found (looked for ${searched.join(', ')}). ` +
        `Get the official file from ${officialUrl} (\`cfinit data download ${dataset}\` when online) ` +
        'or point --data-dir / CFINIT_DATA_DIR at a folder that has it.',
    );
  }
}

/** A download was requested but the network is unreachable (this is the normal state on offline machines). */
export class OfflineError extends CfinitError {
  override name = 'OfflineError';
  constructor(
    readonly url: string,
    readonly destination: string,
    cause: string,
  ) {
    super(
      `cannot download ${url} (${cause}); this machine appears to be offline. ` +
        `Copy the file to ${destination} by other means and run again.`,
    );
  }
}

/** The cache folder for extracted archives cannot be used; names the variable that moves it. */
/** The server answered the connection but sent nothing (headers or body) for too long. */
export class StalledDownloadError extends CfinitError {
  override name = 'StalledDownloadError';
  constructor(
    readonly url: string,
    readonly destination: string,
    what: string,
    seconds: number,
  ) {
    super(
      `cannot download ${url}: the server stalled (no ${what} for ${seconds} s); try again later, ` +
        `or copy the file to ${destination} by other means and run again.`,
    );
  }
}

export class CacheDirError extends CfinitError {
  override name = 'CacheDirError';
  constructor(
    readonly cacheDir: string,
    cause: string,
  ) {
    super(
      `cache dir ${cacheDir} is not a writable directory (${cause}); ` +
        'set CFINIT_CACHE_DIR to a writable folder (default ~/.cache/cfinit)',
    );
  }
}

/** File content for an error message: quoted, control and non-ASCII bytes escaped, at most 40 characters. */
export function shown(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const escapes: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n' };
  const escape = (ch: string) => escapes[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return `'${cut.replace(/[^\x20-\x7e…]/g, escape)}'`;
}
