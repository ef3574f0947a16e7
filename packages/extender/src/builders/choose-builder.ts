/**
 * Which daemon builder applies the extension Dockerfiles, and why: BuildKit where the engine
 * has it, the classic builder on podman and where BuildKit is missing; a user's choice
 * (`--extender`, IMGEXT_EXTENDER) wins.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { ExtenderError } from '../errors.js';
import type { BuilderKind } from './dockerfile-builder.js';

export type BuilderChoice = BuilderKind | 'auto';

export interface ChosenBuilder {
  builder: BuilderKind;
  /** One sentence a user can read: why this builder. */
  reason: string;
}

/** The lowest Engine API version whose BuildKit serves client sessions (Docker 18.09). */
const BUILDKIT_MIN_API = [1, 39] as const;

export function parseBuilderChoice(value: string, source: string): BuilderChoice {
  if (value === 'auto' || value === 'classic' || value === 'buildkit') return value;
  throw new ExtenderError(
    'ERR_INVALID_OPTION',
    `${source}: "${value}" is not a builder; use buildkit, classic or auto`,
  );
}

export async function chooseBuilder(
  engine: EngineClientApi,
  choice: BuilderChoice = 'auto',
  opts: { signal?: AbortSignal; source?: string } = {},
): Promise<ChosenBuilder> {
  if (choice !== 'auto') {
    return { builder: choice, reason: `asked for with ${opts.source ?? 'an option'}` };
  }
  const version = await engine.version(opts.signal ? { signal: opts.signal } : {});
  const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name));
  if (podman) return { builder: 'classic', reason: 'podman has no BuildKit' };
  const [major, minor] = version.ApiVersion.split('.').map(Number) as [number, number];
  if (
    major < BUILDKIT_MIN_API[0] ||
    (major === BUILDKIT_MIN_API[0] && minor < BUILDKIT_MIN_API[1])
  ) {
    return {
      builder: 'classic',
      reason: `Engine API ${version.ApiVersion} predates BuildKit sessions (${BUILDKIT_MIN_API.join('.')})`,
    };
  }
  if (version.Os && version.Os !== 'linux') {
    return {
      builder: 'classic',
      reason: `BuildKit sessions are not used on ${version.Os} engines`,
    };
  }
  return {
    builder: 'buildkit',
    reason: `Docker ${version.Version} (Engine API ${version.ApiVersion}) has BuildKit`,
  };
}
