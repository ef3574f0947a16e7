import type { ValidatedDockerfile } from './dockerfile-rules.js';

/**
 * The spec's rule, which imgext follows (the lifecycle instead reads the label off each
 * intermediate image, so a Dockerfile that sets nothing inherits its base's value): the result
 * is rebasable only when EVERY applied Dockerfile itself sets `io.buildpacks.rebasable=true`.
 * Returns undefined when nothing was applied (the base's own label then stands).
 */
export function rebasableAfter(
  applied: Pick<ValidatedDockerfile, 'setsRebasable'>[],
): boolean | undefined {
  if (applied.length === 0) return undefined;
  return applied.every((d) => d.setsRebasable);
}
