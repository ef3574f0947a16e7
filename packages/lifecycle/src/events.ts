/** The typed events a lifecycle session emits; libraries never print. */
import type { PhaseName } from './phase.js';

export type LifecycleEvent =
  | { type: 'phase-start'; phase: PhaseName; image: string; user: string; args: string[] }
  | { type: 'phase-log'; phase: PhaseName; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'phase-end'; phase: PhaseName; exitCode: number; durationMs: number }
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
