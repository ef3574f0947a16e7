import type { ExtenderEvent } from '@imgext/extender';
import { captureOutput } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { screenOf } from '../../test/terminal-screen.js';
import { createOutput } from '../output.js';
import { renderExtenderEvent } from './extender-events.js';

const T = 1_764_000_000_000;
const base = { type: 'extension.vertex', kind: 'build', extension: 'ext-a' } as const;
const EVENTS: ExtenderEvent[] = [
  {
    ...base,
    id: 'l',
    name: '[internal] load .dockerignore',
    internal: true,
    state: 'started',
    startedAt: T,
  },
  {
    ...base,
    id: 'l',
    name: '[internal] load .dockerignore',
    internal: true,
    state: 'done',
    startedAt: T,
    completedAt: T + 5,
  },
  {
    ...base,
    id: 'f',
    name: '[1/3] FROM busybox',
    internal: false,
    state: 'cached',
    startedAt: T,
    completedAt: T,
  },
  { ...base, id: 'm', name: '[2/3] RUN make', internal: false, state: 'started', startedAt: T },
  { type: 'extension.output', kind: 'build', extension: 'ext-a', text: 'cc main.c\n' },
  {
    ...base,
    id: 'm',
    name: '[2/3] RUN make',
    internal: false,
    state: 'done',
    startedAt: T,
    completedAt: T + 1234,
  },
  {
    ...base,
    id: 'x',
    name: '[3/3] RUN false',
    internal: false,
    state: 'started',
    startedAt: T + 1234,
  },
  {
    ...base,
    id: 'x',
    name: '[3/3] RUN false',
    internal: false,
    state: 'error',
    startedAt: T + 1234,
    completedAt: T + 1500,
    error: 'exit code: 1',
  },
];

const linesOf = (text: string) => text.split('\n').filter((l) => l !== '');

describe('renderExtenderEvent: extension.vertex', () => {
  it('not on a terminal: one prefixed line per step that ended, with its time', () => {
    const io = captureOutput();
    const output = createOutput(io.streams, { json: false, verbose: false, now: () => 0 });
    for (const e of EVENTS) renderExtenderEvent(output, e);
    expect(linesOf(io.stderr())).toEqual([
      '[  0.0s] [build ext-a] [1/3] FROM busybox  CACHED',
      '[extend build] cc main.c',
      '[  0.0s] [build ext-a] [2/3] RUN make  1.2s',
      '[  0.0s] [build ext-a] [3/3] RUN false  ERROR 0.3s: exit code: 1',
    ]);
    expect(output.extensions).toBeUndefined();
  });

  it('not on a terminal: a step BuildKit ends twice (the FROM of a base it has) is one line', () => {
    const io = captureOutput();
    const output = createOutput(io.streams, { json: false, verbose: false, now: () => 0 });
    const from = { ...base, id: 'f', name: '[1/2] FROM 79656032360d', internal: false } as const;
    const again = { ...from, extension: 'ext-b' } as const;
    for (const e of [from, again]) {
      renderExtenderEvent(output, { ...e, state: 'started', startedAt: T });
      renderExtenderEvent(output, { ...e, state: 'done', startedAt: T, completedAt: T + 10 });
      renderExtenderEvent(output, { ...e, state: 'started', startedAt: T + 20 });
      renderExtenderEvent(output, { ...e, state: 'done', startedAt: T + 20, completedAt: T + 30 });
    }
    expect(linesOf(io.stderr())).toEqual([
      '[  0.0s] [build ext-a] [1/2] FROM 79656032360d  0.0s',
      '[  0.0s] [build ext-b] [1/2] FROM 79656032360d  0.0s',
    ]);
  });

  it('--verbose adds the starts and the internal steps', () => {
    const io = captureOutput();
    const output = createOutput(io.streams, { json: false, verbose: true, now: () => 0 });
    for (const e of EVENTS) renderExtenderEvent(output, e);
    expect(linesOf(io.stderr())).toContain(
      '[  0.0s] [build ext-a] [internal] load .dockerignore  started',
    );
    expect(linesOf(io.stderr())).toContain('[  0.0s] [build ext-a] [2/3] RUN make  started');
    expect(linesOf(io.stderr())).toHaveLength(EVENTS.length);
  });

  it('--json: every change as an event with its fields, in the usual shape', () => {
    const io = captureOutput();
    const output = createOutput(io.streams, { json: true, verbose: false });
    for (const e of EVENTS) renderExtenderEvent(output, e);
    const vertexes = io.jsonLines().filter((l) => l.type === 'extension.vertex');
    expect(vertexes).toHaveLength(7);
    expect(vertexes[6]).toEqual({
      type: 'extension.vertex',
      message: '[build ext-a] [3/3] RUN false  ERROR 0.3s: exit code: 1',
      kind: 'build',
      extension: 'ext-a',
      id: 'x',
      name: '[3/3] RUN false',
      internal: false,
      state: 'error',
      startedAt: T + 1234,
      completedAt: T + 1500,
      error: 'exit code: 1',
    });
    expect(vertexes[0]).toMatchObject({ internal: true, state: 'started', startedAt: T });
    expect(vertexes[0]).not.toHaveProperty('completedAt');
    expect(io.jsonLines()).toContainEqual({
      type: 'log',
      source: 'extend build',
      text: 'cc main.c\n',
    });
  });

  it("live (a terminal): a Dockerfile's steps drawn in place, other lines above them", async () => {
    const io = captureOutput();
    const output = createOutput(io.streams, {
      json: false,
      verbose: false,
      live: true,
      now: () => 0,
    });
    expect(output.extensions).toBeDefined();
    for (const e of EVENTS.slice(0, 5)) renderExtenderEvent(output, e);
    output.event({ type: 'phase.start', message: '===> BUILDING' });
    for (const e of EVENTS.slice(5)) renderExtenderEvent(output, e);
    output.finish?.();
    expect(await screenOf(io.stderr(), 80)).toEqual([
      '[  0.0s] ===> BUILDING',
      '[build ext-a] [1/3] FROM busybox                                         CACHED',
      '[build ext-a] [2/3] RUN make                                               1.2s',
      '[build ext-a] [3/3] RUN false                                        ERROR 0.3s',
      '------',
      ' > [build ext-a] [3/3] RUN false:',
      ' exit code: 1',
      '------',
    ]);
  });
});
