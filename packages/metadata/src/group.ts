import { MetadataError } from './errors.js';
import { optionalString, parseToml, stringifyToml, type TomlTable, tableArray } from './toml.js';

/** One entry of `[[group]]` or `[[group-extensions]]`. Unknown keys are kept in `extra`. */
export interface GroupEntry {
  id: string;
  version: string;
  api?: string;
  homepage?: string;
  extra?: Record<string, unknown>;
}

/** group.toml as detect writes it. */
export interface Group {
  buildpacks: GroupEntry[];
  /** Applied in this order. */
  extensions: GroupEntry[];
}

const KNOWN = new Set(['id', 'version', 'api', 'homepage']);

export function parseGroup(text: string, file = 'group.toml'): Group {
  const fail = (message: string): never => {
    throw new MetadataError('ERR_GROUP_INVALID', message, { file });
  };
  const doc = parseToml(text, file);
  const entries = (key: string) =>
    tableArray(doc, key, fail).map((t, i) => toEntry(t, `${key}[${i}]`, fail));
  return { buildpacks: entries('group'), extensions: entries('group-extensions') };
}

function toEntry(t: TomlTable, where: string, fail: (m: string) => never): GroupEntry {
  const id = optionalString(t, 'id', fail);
  if (!id) fail(`${where}: missing "id"`);
  const entry: GroupEntry = { id: id!, version: optionalString(t, 'version', fail) ?? '' };
  const api = optionalString(t, 'api', fail);
  const homepage = optionalString(t, 'homepage', fail);
  if (api !== undefined) entry.api = api;
  if (homepage !== undefined) entry.homepage = homepage;
  const extra = Object.fromEntries(Object.entries(t).filter(([k]) => !KNOWN.has(k)));
  if (Object.keys(extra).length) entry.extra = extra;
  return entry;
}

export function serializeGroup(group: Group): string {
  const out = (e: GroupEntry): TomlTable => {
    const t: TomlTable = { id: e.id, version: e.version };
    if (e.api !== undefined) t.api = e.api;
    if (e.homepage !== undefined) t.homepage = e.homepage;
    return { ...t, ...e.extra };
  };
  const doc: TomlTable = {};
  if (group.buildpacks.length) doc.group = group.buildpacks.map(out);
  if (group.extensions.length) doc['group-extensions'] = group.extensions.map(out);
  return stringifyToml(doc);
}
