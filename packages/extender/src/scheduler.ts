import { CancelledError, ExtenderError } from './errors.js';
import type { ExtenderEventListener } from './events.js';

export interface Task<T = unknown> {
  id: string;
  /** Ids of tasks that must succeed first. */
  after?: string[];
  /** Receives the schedule's signal (aborted on the first failure) and the results of `after`. */
  run(signal: AbortSignal, deps: Record<string, unknown>): Promise<T>;
  /**
   * Called when the task was started and the schedule then failed (undo partial work). A
   * cleanup that fails is reported as a `warning` event; the schedule's own error is thrown.
   */
  cleanup?(): Promise<void>;
}

export interface ScheduleOptions {
  signal?: AbortSignal;
  onEvent?: ExtenderEventListener;
}

/** Thrown when a schedule fails: `rootCause` is the first failure, not a sibling's cancellation. */
export class ScheduleError extends ExtenderError {
  readonly task: string;
  readonly rootCause: Error;
  readonly cancelled: string[];

  constructor(task: string, rootCause: Error, cancelled: string[]) {
    super('ERR_SCHEDULE', `${task} failed: ${rootCause.message}`, { cause: rootCause });
    this.task = task;
    this.rootCause = rootCause;
    this.cancelled = cancelled;
  }
}

/**
 * Runs a small DAG of tasks, each as soon as its dependencies succeeded. The first failure
 * aborts the shared signal (so running siblings stop), waits for them to settle, runs the
 * cleanups of started tasks, and throws a ScheduleError naming the root cause.
 */
export async function runSchedule(
  tasks: Task[],
  opts: ScheduleOptions = {},
): Promise<Record<string, unknown>> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  for (const t of tasks) {
    for (const d of t.after ?? []) {
      if (!byId.has(d))
        throw new ExtenderError('ERR_SCHEDULE', `task ${t.id} depends on unknown task ${d}`);
    }
  }
  assertAcyclic(tasks, byId);
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const emit = opts.onEvent ?? (() => {});
  const results: Record<string, unknown> = {};
  const started: Task[] = [];
  const cancelled: string[] = [];
  let failure: { task: string; error: Error } | undefined;
  const promises = new Map<string, Promise<void>>();
  const start = (t: Task): Promise<void> => {
    let p = promises.get(t.id);
    if (p) return p;
    p = (async () => {
      await Promise.all((t.after ?? []).map((d) => start(byId.get(d)!)));
      if (controller.signal.aborted) {
        cancelled.push(t.id);
        emit({ type: 'task.cancelled', task: t.id });
        return;
      }
      started.push(t);
      emit({ type: 'task.start', task: t.id });
      const deps = Object.fromEntries((t.after ?? []).map((d) => [d, results[d]]));
      try {
        results[t.id] = await t.run(controller.signal, deps);
        emit({ type: 'task.done', task: t.id });
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (failure || (controller.signal.aborted && isCancellation(error))) {
          cancelled.push(t.id);
          emit({ type: 'task.cancelled', task: t.id });
        } else {
          failure = { task: t.id, error };
          emit({ type: 'task.failed', task: t.id, error });
          controller.abort(error);
        }
      }
    })();
    promises.set(t.id, p);
    return p;
  };
  try {
    await Promise.all(tasks.map(start));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (!failure && opts.signal?.aborted) {
    failure = { task: 'schedule', error: new CancelledError('the schedule was cancelled') };
  }
  if (failure) {
    for (const t of started.reverse()) {
      await t.cleanup?.().catch((err: unknown) =>
        emit({
          type: 'warning',
          message: `clean-up of ${t.id} failed: ${err instanceof Error ? err.message : String(err)}`,
        }),
      );
    }
    throw new ScheduleError(failure.task, failure.error, cancelled);
  }
  return results;
}

function isCancellation(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return (
    err.name === 'AbortError' ||
    code === 'ERR_CANCELLED' ||
    code === 'ENGINE_ABORTED' ||
    code === 'ABORT_ERR'
  );
}

function assertAcyclic(tasks: Task[], byId: Map<string, Task>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      throw new ExtenderError('ERR_SCHEDULE', `dependency cycle: ${[...path, id].join(' -> ')}`);
    }
    state.set(id, 'visiting');
    for (const d of byId.get(id)!.after ?? []) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const t of tasks) visit(t.id, []);
}
