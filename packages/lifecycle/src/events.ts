/** The typed events a lifecycle session emits; libraries never print. */
import type { PhaseName } from './phase.js';

export type LifecycleEvent =
  | { type: 'phase-start'; phase: PhaseName; image: string; user: string; args: string[] }
  | { type: 'phase-log'; phase: PhaseName; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'phase-end'; phase: PhaseName; exitCode: number; durationMs: number }
  | { type: 'resource'; action: 'created' | 'removed'; kind: 'container' | 'volume'; name: string }
  | {
      type: 'cleanup-failed';
      kind: 'container' | 'volume' | 'image';
      name: string;
      message: string;
    };

export type LifecycleEventListener = (event: LifecycleEvent) => void;
