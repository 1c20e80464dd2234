import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { RotorError, ValidationError } from '../core/errors.js';
import type { ImportFormat } from './source-row.js';

/** Far above any real inventory (100,000 secrets as CSV is about 10 MiB), far below memory trouble. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;

const FORMATS: Record<string, ImportFormat> = {
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.json': 'json',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.md': 'markdown',
  '.markdown': 'markdown',
};

export function formatOf(path: string): ImportFormat {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) {
    throw new ValidationError(`Cannot import ${path}: unknown file type \`${extname(path) || '(none)'}\`.`, [
      { where: path, message: `use one of ${Object.keys(FORMATS).join(', ')}` },
    ]);
  }
  return format;
}

/**
 * Reads an import file as strict UTF-8 text. Refuses files that are too large before reading
 * them, empty files, and bytes that are not UTF-8 (naming the line), rather than importing
 * replacement characters into the inventory.
 */
export function readImportFile(path: string): { format: ImportFormat; text: string } {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (cause) {
    const reason =
      (cause as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file (or a link to a missing file); check the path'
        : (cause as Error).message;
    throw new RotorError('validation', `Cannot read ${path}: ${reason}.`, { cause });
  }
  if (stats.isDirectory())
    throw new RotorError(
      'validation',
      `${path} is a folder; import its files one at a time, e.g. \`rotor import ${join(path, 'secrets.yaml')}\`.`,
    );
  const format = formatOf(path);
  if (!stats.isFile()) throw new RotorError('validation', `Cannot read ${path}: it is not a regular file; save the rows to a file first.`);
  const size = stats.size;
  if (size > MAX_IMPORT_BYTES) {
    throw new ValidationError(
      `${path} is ${(size / 1024 / 1024).toFixed(1)} MiB; imports are limited to ${MAX_IMPORT_BYTES / 1024 / 1024} MiB.`,
      [{ where: path, message: 'split the file and import the parts one after another' }],
    );
  }
  const bytes = Buffer.alloc(size);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, bytes, 0, size, 0);
  } finally {
    closeSync(fd);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const line = lineOfFirstInvalidByte(bytes);
    throw new ValidationError(`${path} is not valid UTF-8 text.`, [
      { where: `line ${line}`, message: 'contains bytes that are not UTF-8; save the file as UTF-8', line },
    ]);
  }
  if (text.trim() === '') throw new ValidationError(`${path} is empty.`, [{ where: path, message: 'the file has no rows to import' }]);
  return { format, text };
}

function lineOfFirstInvalidByte(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let index = 0; index <= bytes.length; index += 1) {
    if (index === bytes.length || bytes[index] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, index));
      } catch {
        return line;
      }
      line += 1;
      start = index + 1;
    }
  }
  return line;
}
