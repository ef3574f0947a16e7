import { MetadataError } from './errors.js';
import { optionalString, parseToml, tableArray } from './toml.js';

export interface ExtendArg {
  name: string;
  value: string;
}

/** extend-config.toml: `[[build.args]]` and `[[run.args]]`. */
export interface ExtendConfig {
  build: ExtendArg[];
  run: ExtendArg[];
}

/** Args the platform provides; an extension may not redefine them. */
export const RESERVED_BUILD_ARGS = ['build_id', 'user_id', 'group_id'] as const;

export function parseExtendConfig(
  text: string,
  opts: { file?: string; extension?: string } = {},
): ExtendConfig {
  const file = opts.file ?? 'extend-config.toml';
  const ctx = { file, ...(opts.extension ? { extension: opts.extension } : {}) };
  const fail = (message: string): never => {
    throw new MetadataError('ERR_EXTEND_CONFIG_INVALID', message, ctx);
  };
  const doc = parseToml(text, file);
  const args = (kind: 'build' | 'run'): ExtendArg[] => {
    const section = doc[kind];
    if (section === undefined) return [];
    if (typeof section !== 'object' || section === null || Array.isArray(section)) {
      fail(`"${kind}" must be a table`);
    }
    return tableArray(section as Record<string, unknown>, 'args', fail).map((t, i) => {
      const name = optionalString(t, 'name', fail);
      if (!name) fail(`${kind}.args[${i}]: missing "name"`);
      if ((RESERVED_BUILD_ARGS as readonly string[]).includes(name!)) {
        throw new MetadataError(
          'ERR_EXTEND_CONFIG_FORBIDDEN_ARG',
          `${kind}.args[${i}]: the arg name "${name}" is reserved (${RESERVED_BUILD_ARGS.join(', ')} are set by the platform)`,
          ctx,
        );
      }
      return { name: name!, value: optionalString(t, 'value', fail) ?? '' };
    });
  };
  return { build: args('build'), run: args('run') };
}
