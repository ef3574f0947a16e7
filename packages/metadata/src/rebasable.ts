import type { ValidatedDockerfile } from './dockerfile-rules.js';

/**
 * The spec's rule, which imgext follows (the lifecycle instead reads the label off each
 * intermediate image, so a Dockerfile that sets nothing inherits its base's value): the result
 * is rebasable only when EVERY applied Dockerfile itself sets `io.buildpacks.rebasable=true`.
 * Returns undefined when nothing was applied (the base's own label then stands). A switch-only
 * run.Dockerfile (a bare `FROM other`) counts as applied when something else extends the run
 * image: the lifecycle's extender applies it too, and it sets no label (so pack says false).
 */
export function rebasableAfter(
  applied: Pick<ValidatedDockerfile, 'setsRebasable'>[],
): boolean | undefined {
  if (applied.length === 0) return undefined;
  return applied.every((d) => d.setsRebasable);
}
