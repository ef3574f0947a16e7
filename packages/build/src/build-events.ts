/** What `buildApp` reports while it runs, as typed events (libraries never print). */
import type { BuilderKind, ExtenderEvent } from '@imgext/extender';
import type { LifecycleEvent } from '@imgext/lifecycle';
import type { LockHolder } from './build-lock.js';

/** The two branches after restore (and the buildpacks' build in between). */
export type BuildBranch = 'extend-build' | 'build' | 'extend-run';

export type BuildEvent =
  | {
      type: 'build-start';
      image: string;
      builder: string;
      platformApi: string;
      lifecycleVersion: string | undefined;
    }
  /**
   * Another build of the same image (same normalised reference) holds its caches: this one
   * waits until that build is over ("waiting for another build of <image>"), then goes on.
   */
  | { type: 'waiting-for-build'; image: string; holder: LockHolder }
  | { type: 'waited-for-build'; image: string; durationMs: number }
  /**
   * The exporter hit the lifecycle's layer-reuse bug (the daemon found a layer's data not matching
   * its diff ID: `isReuseDiffIdError`); it is run again without the previous image, so no layer is
   * reused from it this once. `reason`: the exporter's error.
   */
  | { type: 'export-retry'; image: string; reason: string }
  /** The lock of a build on this host that no longer runs (killed) was removed. */
  | { type: 'stale-build-lock-removed'; image: string; holder: LockHolder }
  /** Where the daemon-access phases run: the trusted builder, or a lifecycle image. */
  | {
      type: 'lifecycle-image';
      builder: string;
      image: string | undefined;
      source: 'trusted' | 'given' | 'default';
    }
  | {
      type: 'extensions-detected';
      extensions: string[];
      extendRun: boolean;
      switchedTo: string | undefined;
    }
  /** Which daemon builder applies the extension Dockerfiles, and why. */
  | { type: 'extender-chosen'; builder: BuilderKind; reason: string }
  | { type: 'branch-start'; branch: BuildBranch }
  | { type: 'branch-end'; branch: BuildBranch; durationMs: number }
  /** A lifecycle phase: start, log line, end (with its duration), cleanup problems. */
  | { type: 'lifecycle'; event: LifecycleEvent }
  /** The extender: extensions applied, run image switched or pulled, layout written. */
  | { type: 'extender'; event: ExtenderEvent };

export type BuildEventListener = (event: BuildEvent) => void;

const BRANCHES: readonly string[] = ['extend-build', 'build', 'extend-run'];

export function isBuildBranch(task: string): task is BuildBranch {
  return BRANCHES.includes(task);
}
