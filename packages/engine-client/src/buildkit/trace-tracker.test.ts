import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeStatusResponse } from '../../test/buildkit-status.js';
import type { BuildProgressEvent } from '../api.js';
import { isDockerfileStep, isInternalVertex, TraceTracker } from './trace-tracker.js';

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

  it('isDockerfileStep: the instructions, not BuildKit bookkeeping nor the export', () => {
    expect(isDockerfileStep('[2/3] RUN make')).toBe(true);
    expect(isDockerfileStep('[stage-1 1/2] FROM x')).toBe(true);
    expect(isDockerfileStep('[internal] load .dockerignore')).toBe(false);
    expect(isDockerfileStep('exporting to image')).toBe(false);
    expect(isDockerfileStep('[auth] library/busybox:pull token for registry')).toBe(false);
  });

  it('isInternalVertex: only BuildKit bookkeeping', () => {
    expect(isInternalVertex('[internal] load .dockerignore')).toBe(true);
    expect(isInternalVertex('[2/3] RUN make')).toBe(false);
    expect(isInternalVertex('[stage-1 2/3] RUN make')).toBe(false);
  });
});

/**
 * Traces a real daemon sent (Docker 26.1, containerd store, BuildKit over a session): each line is
 * the base64 `aux` of one `moby.buildkit.trace` message. test/buildkit-trace/README.md says how
 * they were made.
 */
function replay(name: string) {
  const file = new URL(`../../test/buildkit-trace/${name}`, import.meta.url);
  const tracker = new TraceTracker();
  const events: BuildProgressEvent[] = [];
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    events.push(...tracker.readBytes(Buffer.from(line, 'base64')));
  }
  events.push(...tracker.finish());
  const vertexes = events.filter((e) => e.type === 'vertex');
  const logs = events.filter((e) => e.type === 'vertex-log');
  // the final state of each vertex, in the order first seen
  const final = new Map<string, string>();
  for (const e of vertexes) final.set(e.name, e.state);
  return { tracker, events, vertexes, logs, final };
}

describe('TraceTracker on traces from a real daemon', () => {
  it('a build that succeeded: steps, their final states, their output, one event per state', () => {
    const { tracker, vertexes, logs, final } = replay('docker-26.1-success.b64');
    const run3 = `[3/4] RUN echo "héllo from step" && printf 'no newline at the end'`;
    expect([...final].filter(([name]) => !isInternalVertex(name))).toEqual([
      [
        expect.stringMatching(/^\[1\/4\] FROM imgext\.local\/stack\/busybox:build@sha256:/),
        'cached',
      ],
      ['[2/4] COPY hello.txt /hello.txt', 'done'],
      [run3, 'done'],
      ['[4/4] RUN echo second >&2', 'done'],
      ['exporting to image', 'done'],
    ]);
    // the daemon re-sends vertexes (done twice, started again): never the same state twice in a row
    const last = new Map<string, string>();
    for (const e of vertexes) {
      expect(last.get(e.id), `${e.name} ${e.state}`).not.toBe(e.state);
      last.set(e.id, e.state);
    }
    expect(logs.map((e) => [e.name, e.stream, e.text])).toEqual([
      [run3, 1, 'héllo from step\n'],
      [run3, 1, 'no newline at the end'],
      ['[4/4] RUN echo second >&2', 2, 'second\n'],
    ]);
    expect(tracker.steps).toBe(4);
    expect(tracker.cacheHits).toBe(1);
    expect(tracker.failed).toBeUndefined();
  });

  it('a build that failed: the failing step, its error and its output on both streams', () => {
    const { tracker, logs, events } = replay('docker-26.1-failure.b64');
    const step = '[2/2] RUN echo before the failure && echo "oops é" >&2 && exit 3';
    expect(tracker.failed).toMatchObject({ name: step });
    expect(tracker.failed?.error).toMatch(/did not complete successfully: exit code: 3$/);
    expect(logs.map((e) => [e.name, e.stream, e.text])).toEqual([
      [step, 1, 'before the failure\n'],
      [step, 2, 'oops é\n'],
    ]);
    // its output comes before its error event
    const error = events.findIndex((e) => e.type === 'vertex' && e.state === 'error');
    expect(events.findIndex((e) => e.type === 'vertex-log')).toBeLessThan(error);
    expect(tracker.steps).toBe(2);
    expect(tracker.cacheHits).toBe(1);
  });
});
