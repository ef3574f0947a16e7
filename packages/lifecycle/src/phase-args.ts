/** The flags of each phase, as pack passes them in daemon mode (platform API 0.10 to 0.15). */
import { apiAtLeast } from '@imgext/metadata';
import { PATHS } from './phase.js';

export interface CommonArgs {
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

const common = (a: CommonArgs) => (a.logLevel ? ['-log-level', a.logLevel] : []);
const owner = (uid: number, gid: number) => ['-uid', String(uid), '-gid', String(gid)];

export interface AnalyzerArgs extends CommonArgs {
  image: string;
  uid: number;
  gid: number;
  /** `--run-image`: overrides the builder's run.toml. */
  runImage?: string;
  /** Export to the daemon (default) or to a registry (`--publish`). */
  daemon: boolean;
  /** A launch cache volume is mounted (daemon mode). */
  launchCache?: boolean;
  previousImage?: string;
  tags?: string[];
}

export function analyzerArgs(a: AnalyzerArgs): string[] {
  return [
    ...common(a),
    ...owner(a.uid, a.gid),
    ...(a.daemon ? ['-daemon'] : []),
    ...(a.daemon && a.launchCache ? ['-launch-cache', PATHS.launchCache] : []),
    ...(a.runImage ? ['-run-image', a.runImage] : []),
    ...(a.previousImage ? ['-previous-image', a.previousImage] : []),
    ...(a.tags ?? []).flatMap((t) => ['-tag', t]),
    a.image,
  ];
}

/** Where the detector and builder read the buildpacks (and extensions) from. */
export interface ModuleDirs {
  /** `-buildpacks`; default the builder's /cnb/buildpacks. */
  buildpacksDir?: string;
  /** `-extensions` (detector, platform API >= 0.10); default /cnb/extensions. */
  extensionsDir?: string;
}

export function detectorArgs(a: CommonArgs & ModuleDirs = {}): string[] {
  return [
    ...common(a),
    ...(a.buildpacksDir ? ['-buildpacks', a.buildpacksDir] : []),
    ...(a.extensionsDir ? ['-extensions', a.extensionsDir] : []),
    '-app',
    PATHS.workspace,
    '-layers',
    PATHS.layers,
    '-platform',
    PATHS.platform,
  ];
}

export interface RestorerArgs extends CommonArgs {
  uid: number;
  gid: number;
  platformApi: string;
  /** `-daemon` (platform API >= 0.12) lets the restorer read a switched run image's target from the daemon. */
  daemon: boolean;
  /** A cache volume is mounted at /cache (ignored with `cacheImage`). */
  cache?: boolean;
  cacheImage?: string;
}

const cacheFlags = (a: { cache?: boolean; cacheImage?: string }) =>
  a.cacheImage ? ['-cache-image', a.cacheImage] : a.cache ? ['-cache-dir', PATHS.cache] : [];

export function restorerArgs(a: RestorerArgs): string[] {
  return [
    ...common(a),
    ...owner(a.uid, a.gid),
    ...(a.daemon && apiAtLeast(a.platformApi, '0.12') ? ['-daemon'] : []),
    ...cacheFlags(a),
  ];
}

export function builderArgs(a: CommonArgs & Pick<ModuleDirs, 'buildpacksDir'> = {}): string[] {
  return [
    ...common(a),
    ...(a.buildpacksDir ? ['-buildpacks', a.buildpacksDir] : []),
    '-app',
    PATHS.workspace,
    '-layers',
    PATHS.layers,
    '-platform',
    PATHS.platform,
  ];
}

export interface ExporterArgs extends CommonArgs {
  image: string;
  uid: number;
  gid: number;
  daemon: boolean;
  cache?: boolean;
  launchCache?: boolean;
  cacheImage?: string;
  /** More names of the image (pack's `--tag`): the exporter takes them after the image. */
  tags?: string[];
  /** The default process type (pack's `--default-process`). */
  processType?: string;
  /** `-run`: the run.toml that names the run image and its mirrors (platform API >= 0.12). */
  runToml?: string;
}

export function exporterArgs(a: ExporterArgs): string[] {
  return [
    ...common(a),
    ...owner(a.uid, a.gid),
    '-app',
    PATHS.workspace,
    ...(a.daemon ? ['-daemon'] : []),
    ...(a.daemon && a.launchCache ? ['-launch-cache', PATHS.launchCache] : []),
    ...cacheFlags(a),
    ...(a.processType ? ['-process-type', a.processType] : []),
    ...(a.runToml ? ['-run', a.runToml] : []),
    a.image,
    ...(a.tags ?? []),
  ];
}
