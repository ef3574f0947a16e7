import type { ExtenderEvent } from '@imgext/extender';
import { describe, expect, it } from 'vitest';
import { screenOf } from '../../test/terminal-screen.js';
import { createExtensionProgress } from './extension-progress.js';

const COLS = 60;
/** The start of a control sequence, as a regular expression. */
const ESC = '\u001b\\[';
const T = 1_764_000_000_000;

/** A clock and timers that move only when told. */
function fakeTime() {
  let clock = T;
  let queue: Array<{ at: number; fn: () => void; id: number }> = [];
  let ids = 0;
  return {
    now: () => clock,
    timers: {
      set(fn: () => void, ms: number) {
        ids++;
        queue.push({ at: clock + ms, fn, id: ids });
        return ids;
      },
      clear(id: unknown) {
        queue = queue.filter((t) => t.id !== id);
      },
    },
    advance(ms: number) {
      const until = clock + ms;
      for (;;) {
        queue.sort((a, b) => a.at - b.at);
        const next = queue[0];
        if (!next || next.at > until) break;
        queue.shift();
        clock = next.at;
        next.fn();
      }
      clock = until;
    },
    pending: () => queue.length,
  };
}

function sink() {
  const writes: string[] = [];
  return {
    writes,
    columns: COLS,
    rows: 40,
    write: (text: string) => writes.push(text),
    text: () => writes.join(''),
  };
}

function v(
  kind: 'build' | 'run',
  extension: string,
  id: string,
  name: string,
  state: 'started' | 'cached' | 'done' | 'error',
  more: Partial<Extract<ExtenderEvent, { type: 'extension.vertex' }>> = {},
): ExtenderEvent {
  return {
    type: 'extension.vertex',
    kind,
    extension,
    id,
    name,
    internal: name.startsWith('[internal]'),
    state,
    ...more,
  };
}

const out = (kind: 'build' | 'run', extension: string, text: string): ExtenderEvent => ({
  type: 'extension.output',
  kind,
  extension,
  text,
});

describe('createExtensionProgress (fake clock, string sink, screen from a terminal emulator)', () => {
  it('one live line per step of both branches, running ones updated in place, done ones collapsed', async () => {
    const time = fakeTime();
    const s = sink();
    const p = createExtensionProgress(s, { color: false, now: time.now, timers: time.timers });
    const load = '[internal] load build definition from Dockerfile';
    expect(p.handle(v('build', 'ext-a', 'l', load, 'started', { startedAt: T }))).toBe(true);
    p.handle(v('build', 'ext-a', 'l', load, 'done', { startedAt: T, completedAt: T + 20 }));
    p.handle(
      v('build', 'ext-a', 'f', '[1/3] FROM busybox', 'cached', { startedAt: T, completedAt: T }),
    );
    p.handle(v('build', 'ext-a', 'm', '[2/3] RUN make', 'started', { startedAt: T }));
    p.handle(v('run', 'ext-b', 'r', '[1/2] RUN apt-get install', 'started', { startedAt: T }));
    p.handle(out('build', 'ext-a', 'cc -o app main.c\nlinking'));
    p.handle(out('build', 'ext-a', ' app\n'));
    // nothing is drawn until the first frame; then one frame per interval at most
    expect(s.writes).toEqual([]);
    time.advance(100);
    expect(s.writes.length).toBe(1);
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/3] FROM busybox                     CACHED',
      '[build ext-a] [2/3] RUN make                           0.1s',
      '  cc -o app main.c',
      '  linking app',
      '[run ext-b] [1/2] RUN apt-get install                  0.1s',
    ]);
    time.advance(1100);
    expect(s.writes.length).toBe(12);
    // updated in place: still one line per running step
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/3] FROM busybox                     CACHED',
      '[build ext-a] [2/3] RUN make                           1.2s',
      '  cc -o app main.c',
      '  linking app',
      '[run ext-b] [1/2] RUN apt-get install                  1.2s',
    ]);
    p.handle(
      v('build', 'ext-a', 'm', '[2/3] RUN make', 'done', { startedAt: T, completedAt: T + 1234 }),
    );
    // applied: its steps are printed for good, then the line the CLI prints for it
    const applied: ExtenderEvent = {
      type: 'extension.applied',
      kind: 'build',
      extension: 'ext-a',
      imageId: 'sha256:1',
      cacheHits: 1,
      steps: 3,
    };
    expect(p.handle(applied)).toBe(false);
    p.write('[  3.0s] ext-a extended the build image (3 steps, 1 cached)\n');
    time.advance(500);
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/3] FROM busybox                     CACHED',
      '[build ext-a] [2/3] RUN make                           1.2s',
      '[  3.0s] ext-a extended the build image (3 steps, 1 cached)',
      '[run ext-b] [1/2] RUN apt-get install                  1.7s',
    ]);
    p.handle(
      v('run', 'ext-b', 'r', '[1/2] RUN apt-get install', 'done', {
        startedAt: T,
        completedAt: T + 2000,
      }),
    );
    time.advance(100);
    // nothing running: the timer stops
    expect(time.pending()).toBe(0);
    p.finish();
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/3] FROM busybox                     CACHED',
      '[build ext-a] [2/3] RUN make                           1.2s',
      '[  3.0s] ext-a extended the build image (3 steps, 1 cached)',
      '[run ext-b] [1/2] RUN apt-get install                  2.0s',
    ]);
    // without colour, no SGR sequence at all
    expect(s.text()).not.toMatch(new RegExp(`${ESC}[0-9;]*m`));
  });

  it('a failing step shows its whole output, the error, in red with colour', async () => {
    const time = fakeTime();
    const s = sink();
    const p = createExtensionProgress(s, {
      color: true,
      now: time.now,
      timers: time.timers,
      tailLines: 2,
    });
    p.handle({
      type: 'extension.start',
      kind: 'build',
      extension: 'ext-a',
      dockerfile: 'D',
      baseImage: 'b',
    });
    p.handle(v('build', 'ext-a', 'a', '[1/2] RUN echo one', 'started', { startedAt: T }));
    p.handle(out('build', 'ext-a', 'one\n'));
    p.handle(
      v('build', 'ext-a', 'a', '[1/2] RUN echo one', 'done', {
        startedAt: T,
        completedAt: T + 100,
      }),
    );
    p.handle(v('build', 'ext-a', 'b', '[2/2] RUN make', 'started', { startedAt: T + 100 }));
    for (let i = 1; i <= 6; i++) p.handle(out('build', 'ext-a', `line ${i}\n`));
    time.advance(100);
    // only the last two lines live under the step
    expect((await screenOf(s.text(), COLS)).slice(-3)).toEqual([
      '[build ext-a] [2/2] RUN make                           0.1s',
      '  line 5',
      '  line 6',
    ]);
    p.handle(out('build', 'ext-a', 'make: *** [all] Error 2'));
    const error = 'process "/bin/sh -c make" did not complete successfully: exit code: 2';
    p.handle(
      v('build', 'ext-a', 'b', '[2/2] RUN make', 'error', {
        startedAt: T + 100,
        completedAt: T + 400,
        error,
      }),
    );
    p.finish();
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/2] RUN echo one                       0.1s',
      '[build ext-a] [2/2] RUN make                     ERROR 0.3s',
      '------',
      ' > [build ext-a] [2/2] RUN make:',
      ' line 1',
      ' line 2',
      ' line 3',
      ' line 4',
      ' line 5',
      ' line 6',
      ' make: *** [all] Error 2',
      // shown in full: the terminal wraps what is longer than its width
      ' process "/bin/sh -c make" did not complete successfully: ex',
      'it code: 2',
      '------',
    ]);
    expect(s.text()).toContain('\u001b[31m[build ext-a] [2/2] RUN make');
  });

  it('a vertex the daemon re-sends (done, started again, cached: as Docker 26.1 does) shows once, last state', async () => {
    const time = fakeTime();
    const s = sink();
    const p = createExtensionProgress(s, { color: false, now: time.now, timers: time.timers });
    const from = '[1/2] FROM busybox@sha256:79656032';
    const ctx = '[internal] load build context';
    p.handle(v('build', 'ext-a', 'f', from, 'started', { startedAt: T }));
    p.handle(v('build', 'ext-a', 'c', ctx, 'done', { startedAt: T, completedAt: T }));
    p.handle(v('build', 'ext-a', 'f', from, 'done', { startedAt: T, completedAt: T + 22 }));
    time.advance(100);
    p.handle(v('build', 'ext-a', 'c', ctx, 'started', { startedAt: T + 24 }));
    p.handle(v('build', 'ext-a', 'c', ctx, 'done', { startedAt: T + 24, completedAt: T + 65 }));
    p.handle(v('build', 'ext-a', 'f', from, 'started', { startedAt: T + 67 }));
    time.advance(100);
    p.handle(v('build', 'ext-a', 'f', from, 'cached', { startedAt: T + 67 }));
    p.handle(v('build', 'ext-a', 'r', '[2/2] RUN true', 'started', { startedAt: T + 70 }));
    time.advance(100);
    p.handle(
      v('build', 'ext-a', 'r', '[2/2] RUN true', 'done', {
        startedAt: T + 70,
        completedAt: T + 170,
      }),
    );
    p.finish();
    expect(await screenOf(s.text(), COLS)).toEqual([
      '[build ext-a] [1/2] FROM busybox@sha256:79656032     CACHED',
      '[build ext-a] [2/2] RUN true                           0.1s',
    ]);
  });

  it('more steps than the screen is high: the first ones are printed for good, each once', async () => {
    const time = fakeTime();
    const s = { ...sink(), rows: 8 };
    const p = createExtensionProgress(s, { color: false, now: time.now, timers: time.timers });
    for (let i = 1; i <= 20; i++) {
      const name = `[${i}/20] RUN step ${i}`;
      p.handle(v('run', 'ext-a', `s${i}`, name, 'started', { startedAt: T + i }));
      time.advance(100);
      p.handle(
        v('run', 'ext-a', `s${i}`, name, 'done', { startedAt: T + i, completedAt: T + i + 100 }),
      );
    }
    time.advance(100);
    // the live part never outgrew the screen (the terminal would have scrolled it away)
    const screen = await screenOf(s.text(), COLS, 8);
    expect(screen).toEqual(
      Array.from({ length: 20 }, (_, i) =>
        expect.stringMatching(
          new RegExp(`^\\[run ext-a\\] \\[${i + 1}/20\\] RUN step ${i + 1} +0\\.1s$`),
        ),
      ),
    );
    p.finish();
    expect(await screenOf(s.text(), COLS, 8)).toHaveLength(20);
  });

  it('cuts long names to the width, so no line wraps and the cursor arithmetic holds', async () => {
    const time = fakeTime();
    const s = sink();
    const p = createExtensionProgress(s, { color: false, now: time.now, timers: time.timers });
    const long = `[1/1] RUN ${'x'.repeat(200)}`;
    p.handle(v('run', 'ext-long', 'x', long, 'started', { startedAt: T }));
    for (let i = 0; i < 5; i++) time.advance(100);
    p.handle(out('run', 'ext-long', `${'y'.repeat(300)}\n`));
    time.advance(100);
    const screen = await screenOf(s.text(), COLS);
    expect(screen).toHaveLength(2);
    expect(screen[0]).toMatch(/^\[run ext-long\] \[1\/1\] RUN x+…\s+0\.6s$/);
    expect(screen[1]).toMatch(/^ {2}y+…$/);
    for (const line of screen) expect([...line].length).toBeLessThan(COLS);
  });

  it('leaves extensions without vertexes (the classic builder) and other events to the line renderer', () => {
    const s = sink();
    const time = fakeTime();
    const p = createExtensionProgress(s, { color: false, now: time.now, timers: time.timers });
    expect(p.handle(out('build', 'ext-a', 'Step 1/2 : FROM x\n'))).toBe(false);
    expect(
      p.handle({
        type: 'extension.step',
        kind: 'build',
        extension: 'ext-a',
        step: 'Step 1/2 : FROM x',
        cached: false,
      }),
    ).toBe(false);
    expect(p.handle({ type: 'layout.done', layers: 1, bytes: 2, passes: 1 })).toBe(false);
    p.write('plain line');
    expect(s.text()).toBe('plain line\n');
    p.finish();
    expect(p.handle(v('build', 'ext-a', 'a', '[1/1] RUN x', 'started'))).toBe(false);
    p.write('after\n');
    expect(s.text()).toBe('plain line\nafter\n');
  });
});
