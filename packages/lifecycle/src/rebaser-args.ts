/** The rebaser's flags (platform API 0.12+: it refuses io.buildpacks.rebasable=false without -force). */

import { PATHS } from './phase.js';
import type { CommonArgs } from './phase-args.js';

export interface RebaserArgs extends CommonArgs {
  /** The image to write (and, without `previousImage`, to rebase). */
  image: string;
  /** The image to rebase, when it is not `image`. */
  previousImage?: string;
  /** The new run image; default: the run image the app image records. */
  runImage?: string;
  daemon: boolean;
  /** Rebase though the image is not marked rebasable. */
  force?: boolean;
}

/** Where the rebaser writes its report.toml (the image's ID and digest). */
export const REBASER_REPORT = `${PATHS.layers}/report.toml`;

export function rebaserArgs(a: RebaserArgs): string[] {
  return [
    ...(a.logLevel ? ['-log-level', a.logLevel] : []),
    ...(a.daemon ? ['-daemon'] : []),
    ...(a.force ? ['-force'] : []),
    ...(a.runImage ? ['-run-image', a.runImage] : []),
    ...(a.previousImage ? ['-previous-image', a.previousImage] : []),
    '-report',
    REBASER_REPORT,
    a.image,
  ];
}
