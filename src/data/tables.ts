// A user's table file: CSV (RFC 4180 quoting), TSV (no quoting, as GLUE's) — both read by csv-parse — or JSON Lines, a header row (or the first object's keys) and rows of
// strings, each with the line it ends on, so errors name the file and line.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DataFormatError, shown } from './errors.ts';
import { decodeText, readDataFile } from './read.ts';

export type TableFormat = 'csv' | 'tsv' | 'jsonl';

export interface Table {
  file: string;
  format: TableFormat;
  header: string[];
  /** Fields of every data row, as written (JSON numbers as their text). */
  rows: string[][];
  /** The file line each row ends on (1-based; the header is line 1 of a CSV). */
  lines: number[];
  /** sha256 of the file's bytes (a stored result is keyed by its data). */
  sha256: string;
}

/** The format of a table file by its extension: .tsv/.tab, .jsonl/.ndjson, else CSV. */
export function tableFormat(file: string): TableFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'csv';
}

const EXPECTED: Record<TableFormat, string> = {
  csv: 'a CSV table with a header row',
  tsv: 'a tab-separated table with a header row',
  jsonl: 'JSON Lines, one object per line',
};

/** Reads a table; empty files, a header without rows, ragged rows and duplicate column names are errors. */
export function readTable(file: string, format: TableFormat = tableFormat(file)): Table {
  const bytes = readDataFile(file);
  const text = decodeText(bytes, file, EXPECTED[format]);
  if (text.trim() === '') throw new DataFormatError(file, null, EXPECTED[format], 'an empty file');
  const parsed = format === 'jsonl' ? parseJsonLines(text, file) : parseDelimited(text, file, format);
  const table = { ...parsed, sha256: createHash('sha256').update(bytes).digest('hex') };
  const seen = new Set<string>();
  for (const name of table.header) {
    if (seen.has(name)) throw new DataFormatError(file, 'line 1', 'distinct column names', `${shown(name)} twice`);
    seen.add(name);
  }
  if (table.rows.length === 0) throw new DataFormatError(file, null, 'at least one data row after the header', 'none');
  return table;
}

function parseDelimited(text: string, file: string, format: 'csv' | 'tsv'): Omit<Table, 'sha256'> {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      delimiter: format === 'tsv' ? '\t' : ',',
      quote: format === 'tsv' ? false : '"', // TSV (text/tab-separated-values) has no quoting: a '"' is a character
      info: true,
      relax_column_count: true, // checked below, to name the line
      skip_empty_lines: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new DataFormatError(file, e.lines ? `line ${e.lines}` : null, EXPECTED[format], e.message);
  }
  const [head, ...body] = records;
  const header = head!.record.map((h) => h.trim());
  for (const r of body) {
    if (r.record.length !== header.length) {
      throw new DataFormatError(
        file,
        `line ${r.info.lines}`,
        `${header.length} ${format === 'tsv' ? 'tab-separated' : 'comma-separated'} fields as in the header`,
        `${r.record.length}`,
      );
    }
  }
  return { file, format, header, rows: body.map((r) => r.record), lines: body.map((r) => r.info.lines) };
}

function parseJsonLines(text: string, file: string): Omit<Table, 'sha256'> {
  const header: string[] = [];
  const objects: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DataFormatError(file, `line ${i + 1}`, 'a JSON object', (err as Error).message);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DataFormatError(file, `line ${i + 1}`, 'a JSON object', shown(line));
    }
    if (objects.length === 0) header.push(...Object.keys(value));
    objects.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  const rows = objects.map(({ line, value }) => {
    const keys = Object.keys(value);
    const extra = keys.find((k) => !header.includes(k));
    const missing = header.find((k) => !(k in value));
    if (extra !== undefined || missing !== undefined) {
      throw new DataFormatError(
        file,
        `line ${line}`,
        `the keys of line ${objects[0]!.line} (${header.join(', ')})`,
        extra !== undefined ? `an extra key ${shown(extra)}` : `no key ${shown(missing!)}`,
      );
    }
    return header.map((k) => {
      const v = value[k];
      if (v === null) return '';
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new DataFormatError(file, `line ${line}, key ${shown(k)}`, 'a string, number or null', JSON.stringify(v));
    });
  });
  return { file, format: 'jsonl', header, rows, lines: objects.map((o) => o.line) };
}

/** The index of a named column; a DataFormatError listing the columns when it is absent. */
export function columnIndex(table: Table, name: string, role: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    const names = table.header.map((h) => shown(h)).join(', ');
    throw new DataFormatError(table.file, 'line 1', `a ${role} column ${shown(name)}`, `only ${names}`);
  }
  return i;
}
