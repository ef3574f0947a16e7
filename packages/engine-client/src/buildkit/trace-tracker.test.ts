import { describe, expect, it } from 'vitest';
import { encodeStatusResponse } from '../../test/buildkit-status.js';
import type { BuildProgressEvent } from '../api.js';
import { isInternalVertex, TraceTracker } from './trace-tracker.js';

const T = 1_764_000_000_000;
const LOAD = { digest: 'sha256:load', name: '[internal] load build definition from Dockerfile' };
const FROM = { digest: 'sha256:from', name: '[1/3] FROM docker.io/library/busybox' };
const RUN = { digest: 'sha256:run', name: '[2/3] RUN echo héllo' };
const COPY = { digest: 'sha256:copy', name: '[3/3] COPY x /x' };

describe('TraceTracker', () => {
  it('emits a vertex event per state change, names logs, joins UTF-8 and lines across chunks', () => {
    const seen: BuildProgressEvent[] = [];
    const tracker = new TraceTracker((e) => seen.push(e));
    const e = (bytes: Uint8Array) => tracker.readBytes(bytes);
    const eacute = new TextEncoder().encode('é');
    const all = [
      ...e(encodeStatusResponse({ vertexes: [{ ...LOAD, started: T }] })),
      ...e(encodeStatusResponse({ vertexes: [{ ...LOAD, started: T, completed: T + 10 }] })),
      // sent again unchanged: nothing new
      ...e(encodeStatusResponse({ vertexes: [{ ...LOAD, started: T, completed: T + 10 }] })),
      ...e(
        encodeStatusResponse({
          vertexes: [{ ...FROM, cached: true, started: T + 11, completed: T + 11 }],
        }),
      ),
      // the vertex's first message carries its first log: the start comes first, the log has the name
      ...e(
        encodeStatusResponse({
          logs: [{ vertex: RUN.digest, stream: 1, msg: new Uint8Array([0x68, eacute[0]!]) }],
          vertexes: [{ ...RUN, started: T + 12 }],
        }),
      ),
      ...e(
        encodeStatusResponse({
          logs: [
            { vertex: RUN.digest, stream: 1, msg: new Uint8Array([eacute[1]!, 0x0a, 0x61]) },
            { vertex: RUN.digest, stream: 2, msg: 'warn\nlast' },
          ],
        }),
      ),
      // the last chunk comes with the completion: it is emitted before the done event
      ...e(
        encodeStatusResponse({
          vertexes: [{ ...RUN, started: T + 12, completed: T + 1212 }],
          logs: [{ vertex: RUN.digest, stream: 1, msg: 'b\n' }],
        }),
      ),
    ];
    expect(all).toEqual(seen);
    expect(all).toEqual([
      { type: 'vertex', id: LOAD.digest, name: LOAD.name, state: 'started', startedAt: T },
      {
        type: 'vertex',
        id: LOAD.digest,
        name: LOAD.name,
        state: 'done',
        startedAt: T,
        completedAt: T + 10,
      },
      {
        type: 'vertex',
        id: FROM.digest,
        name: FROM.name,
        state: 'cached',
        startedAt: T + 11,
        completedAt: T + 11,
      },
      { type: 'vertex', id: RUN.digest, name: RUN.name, state: 'started', startedAt: T + 12 },
      { type: 'vertex-log', id: RUN.digest, name: RUN.name, stream: 1, text: 'hé\n' },
      { type: 'vertex-log', id: RUN.digest, name: RUN.name, stream: 2, text: 'warn\n' },
      { type: 'vertex-log', id: RUN.digest, name: RUN.name, stream: 1, text: 'ab\n' },
      { type: 'vertex-log', id: RUN.digest, name: RUN.name, stream: 2, text: 'last' },
      {
        type: 'vertex',
        id: RUN.digest,
        name: RUN.name,
        state: 'done',
        startedAt: T + 12,
        completedAt: T + 1212,
      },
    ]);
    expect(tracker.steps).toBe(2);
    expect(tracker.cacheHits).toBe(1);
    expect(tracker.failed).toBeUndefined();
    expect(tracker.finish()).toEqual([]);
  });

  it('remembers the first failing vertex, with its error, and counts it once', () => {
    const tracker = new TraceTracker();
    tracker.readBytes(encodeStatusResponse({ vertexes: [{ ...COPY, started: T }] }));
    const events = tracker.readBytes(
      encodeStatusResponse({
        vertexes: [{ ...COPY, started: T, completed: T + 5, error: 'failed to compute cache key' }],
      }),
    );
    expect(events).toEqual([
      {
        type: 'vertex',
        id: COPY.digest,
        name: COPY.name,
        state: 'error',
        startedAt: T,
        completedAt: T + 5,
        error: 'failed to compute cache key',
      },
    ]);
    expect(tracker.failed).toEqual({
      id: COPY.digest,
      name: COPY.name,
      error: 'failed to compute cache key',
    });
    expect(tracker.steps).toBe(1);
    expect(tracker.cacheHits).toBe(0);
  });

  it('finish() emits unfinished lines, an incomplete UTF-8 sequence as U+FFFD', () => {
    const tracker = new TraceTracker();
    tracker.push({
      vertexes: [
        { digest: 'sha256:x', inputs: [], name: '[1/1] RUN x', cached: false, started: T },
      ],
      statuses: [],
      logs: [{ vertex: 'sha256:x', stream: 1, msg: new Uint8Array([0x6f, 0x6b, 0xc3]) }],
      warnings: [],
    });
    expect(tracker.finish()).toEqual([
      { type: 'vertex-log', id: 'sha256:x', name: '[1/1] RUN x', stream: 1, text: 'ok\ufffd' },
    ]);
  });

  it('a log of a vertex it never saw has an empty name; a vertex with no digest is ignored', () => {
    const tracker = new TraceTracker();
    const events = tracker.readBytes(
      encodeStatusResponse({
        vertexes: [{ digest: '', name: 'x', started: T }],
        logs: [{ vertex: 'sha256:ghost', stream: 1, msg: 'boo\n' }],
      }),
    );
    expect(events).toEqual([
      { type: 'vertex-log', id: 'sha256:ghost', name: '', stream: 1, text: 'boo\n' },
    ]);
    expect(tracker.steps).toBe(0);
  });

  it('isInternalVertex: only BuildKit bookkeeping', () => {
    expect(isInternalVertex('[internal] load .dockerignore')).toBe(true);
    expect(isInternalVertex('[2/3] RUN make')).toBe(false);
    expect(isInternalVertex('[stage-1 2/3] RUN make')).toBe(false);
  });
});
