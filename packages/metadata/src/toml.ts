import { parse, stringify, TomlError } from 'smol-toml';
import { MetadataError } from './errors.js';

export type TomlTable = Record<string, unknown>;

/** Parses TOML, throwing a MetadataError that names the file and line. */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (err) {
    const line = err instanceof TomlError ? err.line : undefined;
    throw new MetadataError('ERR_TOML_PARSE', (err as Error).message.split('\n')[0] ?? 'bad TOML', {
      file,
      ...(line ? { line } : {}),
      cause: err,
    });
  }
}

export function stringifyToml(value: TomlTable): string {
  return `${stringify(value)}\n`;
}

export function optionalString(
  table: TomlTable,
  key: string,
  fail: (msg: string) => never,
): string | undefined {
  const v = table[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`"${key}" must be a string`);
  return v as string;
}

export function tableArray(
  table: TomlTable,
  key: string,
  fail: (msg: string) => never,
): TomlTable[] {
  const v = table[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
    fail(`"${key}" must be an array of tables`);
  }
  return v as TomlTable[];
}
