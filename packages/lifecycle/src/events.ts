/** The typed events a lifecycle session emits; libraries never print. */
import type { PhaseName } from './phase.js';

export type LifecycleEvent =
  /** `env`: the names of the environment variables imgext set (never their values). */
  | {
      type: 'phase-start';
      phase: PhaseName;
      image: string;
      user: string;
      args: string[];
      env: string[];
    }
  | { type: 'phase-log'; phase: PhaseName; stream: 'stdout' | 'stderr'; line: string }
  /**
   * durationMs: from when the phase was asked to run (its container's creation included, unless
   * it was prepared beforehand) to the exit seen by imgext; runMs: start to exit; createMs:
   * create, attach and the exit waiter registered (for a prepared phase, while another ran).
   */
  | {
      type: 'phase-end';
      phase: PhaseName;
      exitCode: number;
      durationMs: number;
      createMs: number;
      runMs: number;
    }
  /**
   * After the phase's container is gone (removed in the background): processMs is the daemon's own
   * StartedAt..FinishedAt (the lifecycle binary's run; runMs - processMs is the start/exit
   * overhead), inspectMs/removeMs what reading it and removing it took.
   */
  | {
      type: 'phase-timing';
      phase: PhaseName;
      processMs?: number;
      inspectMs: number;
      removeMs: number;
    }
  /** A file or folder copied in or out of the session's volumes through the archive API. */
  | { type: 'archive'; direction: 'in' | 'out'; path: string; durationMs: number }
  /** The app's upload into /workspace: totals first (after the scan), progress, then the end. */
  | {
      type: 'upload-start';
      target: 'app';
      totalFiles: number;
      totalBytes: number;
      excluded: number;
      scanMs: number;
    }
  | {
      type: 'upload-progress';
      target: 'app';
      files: number;
      bytes: number;
      totalFiles: number;
      totalBytes: number;
    }
  | {
      type: 'upload-end';
      target: 'app';
      files: number;
      bytes: number;
      excluded: number;
      durationMs: number;
    }
  | { type: 'resource'; action: 'created' | 'removed'; kind: 'container' | 'volume'; name: string }
  | {
      type: 'cleanup-failed';
      kind: 'container' | 'volume' | 'image';
      name: string;
      message: string;
    };

export type LifecycleEventListener = (event: LifecycleEvent) => void;
