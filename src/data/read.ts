// Reading dataset files: file-system failures and binary content become errors naming the file.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { DataFormatError } from './errors.ts';

const FS_PROBLEM: Record<string, string> = {
  EISDIR: 'a directory',
  ENOENT: 'nothing (the file does not exist)',
  EACCES: 'a file without read permission',
  EPERM: 'a file without read permission',
  ELOOP: 'a symlink loop',
  ENOTDIR: 'a path through a non-directory',
};

function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return FS_PROBLEM[code] ?? `an unreadable file (${code || (err as Error).message})`;
}

/** The bytes of a dataset file; any read failure is a DataFormatError naming the path. */
export function readDataFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DataFormatError(file, null, 'a readable file', fsProblem(err));
  }
}

/** Checks path is a readable regular file without reading it (archives are streamed). */
export function checkDataFile(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new DataFormatError(file, null, 'a readable file', fsProblem(err));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 text; a NUL byte or bytes that are not UTF-8 mean binary data, reported without echoing it. */
export function decodeText(bytes: Uint8Array, file: string, expected: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DataFormatError(file, `byte ${nul}`, expected, 'binary data (a NUL byte)');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DataFormatError(file, null, expected, 'binary data (bytes that are not UTF-8 text)');
  }
}
