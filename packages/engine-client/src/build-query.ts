/** The `POST /build` query parameters both builders share, from BuildOptions. */
import type { BuildOptions } from './api.js';

export function buildQuery(opts: BuildOptions) {
  return {
    t: opts.tags,
    buildargs: opts.buildArgs,
    labels: opts.labels,
    networkmode: opts.networkMode,
    pull: opts.pull,
    nocache: opts.noCache,
    target: opts.target,
    platform: opts.platform,
  };
}
