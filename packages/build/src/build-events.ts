/** What `buildApp` reports while it runs, as typed events (libraries never print). */
import type { BuilderKind, ExtenderEvent } from '@imgext/extender';
import type { LifecycleEvent } from '@imgext/lifecycle';

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
  /** The daemon-access phases run in an untrusted builder (no --lifecycle-image). */
  | { type: 'untrusted-builder'; builder: string }
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
