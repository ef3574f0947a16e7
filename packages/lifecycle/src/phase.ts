/**
 * The lifecycle phases imgext runs, and what each needs: daemon access (the docker socket, as
 * root) or not (the CNB user, no socket). The extender phase is not here: imgext replaces it.
 */
export type PhaseName = 'analyzer' | 'detector' | 'restorer' | 'builder' | 'exporter' | 'rebaser';

export interface PhaseTraits {
  /** Talks to the daemon: gets the daemon's socket and runs as root (it chowns to -uid/-gid). */
  daemon: boolean;
  /** Refuses to run below platform API 0.13 with extensions unless CNB_EXPERIMENTAL_MODE allows it. */
  guardsExtensions: boolean;
}

export const PHASES: Readonly<Record<PhaseName, PhaseTraits>> = {
  analyzer: { daemon: true, guardsExtensions: false },
  detector: { daemon: false, guardsExtensions: true },
  restorer: { daemon: true, guardsExtensions: false },
  builder: { daemon: false, guardsExtensions: false },
  exporter: { daemon: true, guardsExtensions: true },
  rebaser: { daemon: true, guardsExtensions: false },
};

/** Where the session mounts its volumes in every phase container. */
export const PATHS = {
  layers: '/layers',
  workspace: '/workspace',
  platform: '/platform',
  cache: '/cache',
  launchCache: '/launch-cache',
  /**
   * Local buildpacks and extensions of a build (pack's `--buildpack ./dir`), in `buildpacks/` and
   * `extensions/` as the lifecycle lays them out (`<escaped id>/<version>/`), beside links to the
   * builder's own (see LifecycleSessionOptions.modulesVolume).
   */
  modules: '/imgext-modules',
  /** The daemon's socket, as the phases see it (the lifecycle's default DOCKER_HOST). */
  socket: '/var/run/docker.sock',
} as const;
