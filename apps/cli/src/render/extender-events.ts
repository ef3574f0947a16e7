/** How the extender's events look on the command line (shared by `imgext build` and `imgext extend`). */
import type { ExtenderEvent } from '@imgext/extender';
import type { Output } from '../command.js';
import { vertexLabel, vertexStatus } from './extension-progress.js';

/**
 * The vertexes whose end was already printed, per output: BuildKit reports the FROM of a base it
 * has as done, then started and done (or cached) again; a line per step is enough for people.
 */
const ended = new WeakMap<Output, Set<string>>();

/** Whether this end of a vertex repeats one already printed (remembers it otherwise). */
function repeatedEnd(output: Output, e: ExtenderEvent & { type: 'extension.vertex' }): boolean {
  if (e.state === 'started') return false;
  const seen = ended.get(output) ?? new Set<string>();
  ended.set(output, seen);
  const key = `${e.kind}\u0000${e.extension}\u0000${e.id}`;
  if (seen.has(key)) return true;
  seen.add(key);
  return false;
}

export function renderExtenderEvent(output: Output, e: ExtenderEvent): void {
  // on a terminal, BuildKit steps and their output are drawn live
  if (output.extensions?.handle(e)) return;
  switch (e.type) {
    case 'extension.start':
      output.event({
        type: 'extension.start',
        message: `applying ${e.kind}.Dockerfile of ${e.extension}`,
        data: { kind: e.kind, extension: e.extension },
      });
      break;
    case 'extension.vertex':
      // for people: one line when a step ends (done, CACHED, ERROR); starts and BuildKit's
      // internal steps only with --verbose, nor a step's second end (the FROM BuildKit starts
      // again); --json has every change
      output.event({
        type: 'extension.vertex',
        message: `${vertexLabel(e)} ${e.name}  ${vertexStatus(e)}${e.error ? `: ${e.error}` : ''}`,
        data: {
          kind: e.kind,
          extension: e.extension,
          id: e.id,
          name: e.name,
          internal: e.internal,
          state: e.state,
          ...(e.startedAt !== undefined ? { startedAt: e.startedAt } : {}),
          ...(e.completedAt !== undefined ? { completedAt: e.completedAt } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
        },
        detail:
          e.state === 'started' ||
          (e.internal && e.state !== 'error') ||
          (e.state !== 'error' && repeatedEnd(output, e)),
      });
      break;
    case 'extension.output':
      output.log(`extend ${e.kind}`, e.text);
      break;
    case 'extension.applied':
      output.event({
        type: 'extension.applied',
        message: `${e.extension} extended the ${e.kind} image (${e.steps} steps, ${e.cacheHits} cached)`,
        data: {
          kind: e.kind,
          extension: e.extension,
          imageId: e.imageId,
          steps: e.steps,
          cacheHits: e.cacheHits,
        },
      });
      break;
    case 'warning':
      output.warn(e.message, { ...(e.extension ? { extension: e.extension } : {}) });
      break;
    case 'run-image.switch':
      output.event({
        type: 'run-image.switch',
        message: `run image switched to ${e.to}`,
        data: { from: e.from, to: e.to },
      });
      break;
    case 'run-image.pull':
      output.event({
        type: 'run-image.pull',
        message: `pulling ${e.image}`,
        data: { image: e.image },
      });
      break;
    case 'layout.done':
      output.event({
        type: 'layout.done',
        message: `run image layout written (${e.layers} layers, ${e.bytes} bytes)`,
        data: { layers: e.layers, bytes: e.bytes },
      });
      break;
    default:
      break;
  }
}
