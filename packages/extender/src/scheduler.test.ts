import { describe, expect, it } from 'vitest';
import { CancelledError } from './errors.js';
import type { ExtenderEvent } from './events.js';
import { runSchedule, ScheduleError, type Task } from './scheduler.js';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new CancelledError());
    });
  });

describe('runSchedule', () => {
  it('runs independent branches concurrently and passes results along edges', async () => {
    const order: string[] = [];
    const task = (id: string, after: string[] = [], ms = 20): Task => ({
      id,
      after,
      async run(signal, deps) {
        order.push(`start ${id}`);
        await sleep(ms, signal);
        order.push(`end ${id}`);
        return `${id}(${Object.values(deps).join(',')})`;
      },
    });
    const results = await runSchedule([
      task('extend-build'),
      task('build', ['extend-build']),
      task('extend-run', [], 30),
      task('export', ['build', 'extend-run']),
    ]);
    expect(results.export).toBe('export(build(extend-build()),extend-run())');
    expect(order.slice(0, 2).sort()).toEqual(['start extend-build', 'start extend-run']);
  });

  it('cancels siblings on the first failure, cleans up, and reports the root cause', async () => {
    const cleaned: string[] = [];
    const events: string[] = [];
    const err = await runSchedule(
      [
        {
          id: 'extend-build',
          run: (signal) => sleep(5_000, signal),
          cleanup: async () => void cleaned.push('extend-build'),
        },
        { id: 'build', after: ['extend-build'], run: async () => 'never' },
        {
          id: 'extend-run',
          async run() {
            await new Promise((r) => setTimeout(r, 10));
            throw new Error('run.Dockerfile exploded');
          },
        },
      ],
      { onEvent: (e) => events.push(`${e.type} ${'task' in e ? e.task : ''}`) },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScheduleError);
    const s = err as ScheduleError;
    expect(s.task).toBe('extend-run');
    expect(s.rootCause.message).toBe('run.Dockerfile exploded');
    expect(s.cancelled.sort()).toEqual(['build', 'extend-build']);
    expect(cleaned).toEqual(['extend-build']);
    expect(events).toContain('task.failed extend-run');
  });

  it('reports a cleanup that fails as a warning and still throws the root cause', async () => {
    const events: ExtenderEvent[] = [];
    const err = await runSchedule(
      [
        {
          id: 'extend-run',
          run: async () => 'done',
          cleanup: async () => {
            throw new Error('image is in use by container 3f2a');
          },
        },
        { id: 'build', after: ['extend-run'], run: async () => Promise.reject(new Error('boom')) },
      ],
      { onEvent: (e) => events.push(e) },
    ).catch((e: unknown) => e);
    expect((err as ScheduleError).rootCause.message).toBe('boom');
    expect(events).toContainEqual({
      type: 'warning',
      message: 'clean-up of extend-run failed: image is in use by container 3f2a',
    });
  });

  it('refuses cycles and unknown dependencies', async () => {
    const noop = async () => undefined;
    await expect(
      runSchedule([
        { id: 'a', after: ['b'], run: noop },
        { id: 'b', after: ['a'], run: noop },
      ]),
    ).rejects.toThrow(/cycle/);
    await expect(runSchedule([{ id: 'a', after: ['z'], run: noop }])).rejects.toThrow(
      /unknown task z/,
    );
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const err = await runSchedule([{ id: 'slow', run: (s) => sleep(5_000, s) }], {
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect((err as ScheduleError).rootCause.message).toMatch(/cancelled/);
  });
});
