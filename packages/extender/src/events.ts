import type { DockerfileKind } from '@imgext/metadata';

/** Progress of the extender, as typed events (libraries never print). */
export type ExtenderEvent =
  | {
      type: 'extension.start';
      kind: DockerfileKind;
      extension: string;
      dockerfile: string;
      baseImage: string;
    }
  | {
      type: 'extension.step';
      kind: DockerfileKind;
      extension: string;
      step: string;
      cached: boolean;
    }
  /**
   * BuildKit: one step of an extension's Dockerfile changed state (`name` as BuildKit names it,
   * e.g. `[2/3] RUN make`; internal steps included, `internal: true`). Times are epoch ms.
   */
  | {
      type: 'extension.vertex';
      kind: DockerfileKind;
      extension: string;
      id: string;
      name: string;
      internal: boolean;
      state: 'started' | 'cached' | 'done' | 'error';
      startedAt?: number;
      completedAt?: number;
      error?: string;
    }
  | { type: 'extension.output'; kind: DockerfileKind; extension: string; text: string }
  | {
      type: 'extension.applied';
      kind: DockerfileKind;
      extension: string;
      imageId: string;
      cacheHits: number;
      steps: number;
    }
  | { type: 'warning'; message: string; extension?: string; line?: number }
  | { type: 'run-image.pull'; image: string }
  | { type: 'run-image.switch'; from: string; to: string }
  | { type: 'layout.layer'; digest: string; diffId: string; size: number }
  | { type: 'layout.done'; layers: number; bytes: number; passes: number }
  | { type: 'task.start' | 'task.done' | 'task.cancelled'; task: string }
  | { type: 'task.failed'; task: string; error: Error };

export type ExtenderEventListener = (event: ExtenderEvent) => void;
