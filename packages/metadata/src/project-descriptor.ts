/**
 * project.toml, the CNB project descriptor (buildpacks/spec extensions/project-descriptor.md):
 * schema 0.2 (`[_]` with `schema-version`, `[io.buildpacks]`) and the older 0.1 (`[project]`,
 * `[build]`), read as pack reads them: no `[_].schema-version` means 0.1. Pure: text in, value out.
 */
import { MetadataError } from './errors.js';
import { optionalString, parseToml, type TomlTable, tableArray } from './toml.js';

export type ProjectSchemaVersion = '0.1' | '0.2';

/** A buildpack the descriptor asks for (`[[io.buildpacks.group]]`, `[[build.buildpacks]]`). */
export interface ProjectBuildpack {
  id?: string;
  version?: string;
  uri?: string;
  /** An inline buildpack (`[...script]`): `inline` is its build script. */
  script?: { api?: string; inline?: string; shell?: string };
}

export interface ProjectDescriptor {
  schemaVersion: ProjectSchemaVersion;
  project: { id?: string; name?: string; version?: string };
  /** The builder to build with (`[io.buildpacks] builder`). */
  builder?: string;
  /** gitignore patterns of what travels (only these) or stays behind; never both. */
  include: string[];
  exclude: string[];
  /** The buildpacks to build with, in order (instead of the builder's order). */
  buildpacks: ProjectBuildpack[];
  /** Schema 0.2: buildpacks added before / after the detected group. */
  pre: ProjectBuildpack[];
  post: ProjectBuildpack[];
  /** Build-time environment (`[[io.buildpacks.build.env]]`), in file order; later wins. */
  env: Record<string, string>;
}

export function parseProjectDescriptor(text: string, file = 'project.toml'): ProjectDescriptor {
  const fail = (message: string): never => {
    throw new MetadataError('ERR_PROJECT_DESCRIPTOR_INVALID', message, { file });
  };
  const doc = parseToml(text, file);
  const meta = table(doc, '_', '[_]', fail);
  const declared = optionalString(meta, 'schema-version', fail);
  const schemaVersion = declared === undefined ? '0.1' : normalize(declared);
  if (schemaVersion !== '0.1' && schemaVersion !== '0.2') {
    fail(`unknown schema-version "${declared}" (supported: 0.1, 0.2)`);
  }
  if (schemaVersion === '0.2') {
    const io = table(table(doc, 'io', '[io]', fail), 'buildpacks', '[io.buildpacks]', fail);
    const where = 'io.buildpacks';
    const build = table(io, 'build', `[${where}.build]`, fail);
    // [[io.buildpacks.env.build]] is the deprecated spelling of [[io.buildpacks.build.env]].
    const legacy = table(io, 'env', `[${where}.env]`, fail);
    return checked(
      {
        schemaVersion,
        project: projectInfo(meta, fail),
        ...optional('builder', optionalString(io, 'builder', fail)),
        include: strings(io, 'include', where, fail),
        exclude: strings(io, 'exclude', where, fail),
        buildpacks: buildpacks(io, 'group', where, fail),
        pre: buildpacks(table(io, 'pre', `[${where}.pre]`, fail), 'group', `${where}.pre`, fail),
        post: buildpacks(
          table(io, 'post', `[${where}.post]`, fail),
          'group',
          `${where}.post`,
          fail,
        ),
        env: {
          ...envVars(tableArray(legacy, 'build', fail), `${where}.env.build`, fail),
          ...envVars(tableArray(build, 'env', fail), `${where}.build.env`, fail),
        },
      },
      fail,
    );
  }
  const build = table(doc, 'build', '[build]', fail);
  return checked(
    {
      schemaVersion: '0.1',
      project: projectInfo(table(doc, 'project', '[project]', fail), fail),
      ...optional('builder', optionalString(build, 'builder', fail)),
      include: strings(build, 'include', 'build', fail),
      exclude: strings(build, 'exclude', 'build', fail),
      buildpacks: buildpacks(build, 'buildpacks', 'build', fail),
      pre: [],
      post: [],
      env: envVars(tableArray(build, 'env', fail), 'build.env', fail),
    },
    fail,
  );
}

function checked(d: ProjectDescriptor, fail: (m: string) => never): ProjectDescriptor {
  if (d.include.length > 0 && d.exclude.length > 0) {
    fail('both include and exclude are set: use one of them');
  }
  return d;
}

/** The spec's format is <major>.<minor> or <major> (= <major>.0). */
function normalize(v: string): string {
  return /^\d+$/.test(v) ? `${v}.0` : v;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };
}

function table(t: TomlTable, key: string, name: string, fail: (m: string) => never): TomlTable {
  const v = t[key];
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(`${name || key} must be a table`);
  return v as TomlTable;
}

function strings(t: TomlTable, key: string, where: string, fail: (m: string) => never): string[] {
  const v = t[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    fail(`${where}.${key} must be an array of strings`);
  }
  return v as string[];
}

function projectInfo(t: TomlTable, fail: (m: string) => never): ProjectDescriptor['project'] {
  return {
    ...optional('id', optionalString(t, 'id', fail)),
    ...optional('name', optionalString(t, 'name', fail)),
    ...optional('version', optionalString(t, 'version', fail)),
  };
}

function buildpacks(
  t: TomlTable,
  key: string,
  where: string,
  fail: (m: string) => never,
): ProjectBuildpack[] {
  return tableArray(t, key, fail).map((bp, i) => {
    const at = `${where}.${key}[${i}]`;
    const script = table(bp, 'script', `${at}.script`, fail);
    const entry: ProjectBuildpack = {
      ...optional('id', optionalString(bp, 'id', fail)),
      ...optional('version', optionalString(bp, 'version', fail)),
      ...optional('uri', optionalString(bp, 'uri', fail)),
    };
    if (Object.keys(script).length > 0) {
      entry.script = {
        ...optional('api', optionalString(script, 'api', fail)),
        ...optional('inline', optionalString(script, 'inline', fail)),
        ...optional('shell', optionalString(script, 'shell', fail)),
      };
    }
    if (!entry.id && !entry.uri && !entry.script) fail(`${at}: needs an id, a uri or a script`);
    return entry;
  });
}

function envVars(
  entries: TomlTable[],
  where: string,
  fail: (m: string) => never,
): Record<string, string> {
  const env: Record<string, string> = {};
  entries.forEach((e, i) => {
    const name = optionalString(e, 'name', fail);
    const value = optionalString(e, 'value', fail);
    if (!name) fail(`${where}[${i}]: missing "name"`);
    if (value === undefined) fail(`${where}[${i}] (${name}): missing "value"`);
    env[name as string] = value as string;
  });
  return env;
}
