/**
 * `--extender` (and IMGEXT_EXTENDER): which daemon builder applies the extension Dockerfiles.
 * Shared by `build`, `extend` and `info`; the flag wins over the environment.
 */
import type { BuilderChoice } from '@imgext/extender';
import type { Argv } from 'yargs';
import { UsageError } from './errors.js';

export const EXTENDER_CHOICES = ['auto', 'buildkit', 'classic'] as const;
export const EXTENDER_ENV = 'IMGEXT_EXTENDER';

export function extenderOption<T>(y: Argv<T>): Argv<T> {
  return y.option('extender', {
    choices: EXTENDER_CHOICES,
    describe: `Builder of the extension Dockerfiles: BuildKit, the classic builder, or auto (BuildKit where the engine has it; env ${EXTENDER_ENV})`,
  }) as unknown as Argv<T>;
}

/** The builder asked for, and where the ask came from (for `imgext info` and error messages). */
export function extenderChoice(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): { choice: BuilderChoice; source: string } {
  if (flag) return { choice: flag as BuilderChoice, source: '--extender' };
  const value = env[EXTENDER_ENV];
  if (value === undefined || value === '') return { choice: 'auto', source: 'default' };
  if ((EXTENDER_CHOICES as readonly string[]).includes(value)) {
    return { choice: value as BuilderChoice, source: EXTENDER_ENV };
  }
  throw new UsageError(
    `${EXTENDER_ENV}="${value}" is not a builder: use ${EXTENDER_CHOICES.join(', ')}`,
  );
}
