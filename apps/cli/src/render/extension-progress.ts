/**
 * The live view of BuildKit extension builds on a terminal, the way `docker buildx build` shows
 * a build: one line per step of a Dockerfile, redrawn in place (at most every `intervalMs`): a
 * running step with its time so far and the last lines of its output under it, an ended one
 * collapsed to its done line (its time, `CACHED` or `ERROR`). The lines stay live until the
 * extension is applied (the daemon re-sends a step: done, started again, then cached), then are
 * printed for good; a failing step is printed at once, followed by its whole output. The build
 * and run branches can be live at once: each line names its Dockerfile (`[build ext-id]`).
 *
 * Everything else the CLI prints on the same stream goes through `write`, which puts it above the
 * live lines. Extensions built without vertexes (the classic builder) are left to the line
 * renderer: `handle` returns false for their events.
 *
 * Only type imports: the pseudo-terminal test runs this file alone, transpiled.
 */
import type { ExtenderEvent } from '@imgext/extender';

type VertexEvent = Extract<ExtenderEvent, { type: 'extension.vertex' }>;

export interface ProgressSink {
  write(text: string): unknown;
  /** The terminal's width (a TTY stream has it); 80 when absent. */
  columns?: number | undefined;
  /** The terminal's height; 24 when absent. */
  rows?: number | undefined;
}

export interface ExtensionProgressOptions {
  /** SGR colours (red errors, dim times and output); cursor movement is used either way. */
  color: boolean;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** Least time between two redraws; default 100 ms (10 per second). */
  intervalMs?: number;
  timers?: { set(fn: () => void, ms: number): unknown; clear(handle: unknown): void };
  /** Lines of a running step's output shown under it; default 5. */
  tailLines?: number;
}

export interface ExtensionProgress {
  /** Renders an extender event it owns; false for the events it leaves to the line renderer. */
  handle(event: ExtenderEvent): boolean;
  /** Writes text (lines) above the live lines. */
  write(text: string): void;
  /** Draws what is pending, leaves the live lines on screen as they are, and stops. */
  finish(): void;
}

/** The most output lines kept per extension for the failure report; earlier ones are counted. */
const KEPT_LINES = 5000;

interface Group {
  label: string;
  /** Seen a vertex: BuildKit, so its output is ours to show. */
  vertexes: boolean;
  lines: string[];
  dropped: number;
  partial: string;
}

interface Vertex {
  group: Group;
  name: string;
  internal: boolean;
  state: VertexEvent['state'];
  /** Local time the start was seen (the daemon's clock may differ from ours). */
  seenAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  /** Index in group.lines of the first output line after the step started. */
  firstLine: number;
  error: string | undefined;
}

const ESC = '\u001b[';

/** `1.2s` */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** The Dockerfile a line belongs to: `[build ext-id]`. */
export function vertexLabel(e: { kind: string; extension: string }): string {
  return `[${e.kind} ${e.extension}]`;
}

/** What a state change reads as on one line (the non-TTY renderer and the done lines). */
export function vertexStatus(e: Pick<VertexEvent, 'state' | 'startedAt' | 'completedAt'>): string {
  const took =
    e.startedAt !== undefined && e.completedAt !== undefined
      ? seconds(e.completedAt - e.startedAt)
      : undefined;
  if (e.state === 'cached') return 'CACHED';
  if (e.state === 'error') return took ? `ERROR ${took}` : 'ERROR';
  if (e.state === 'done') return took ?? 'done';
  return 'started';
}

export function createExtensionProgress(
  stream: ProgressSink,
  opts: ExtensionProgressOptions,
): ExtensionProgress {
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? 100;
  const timers = opts.timers ?? {
    // unref'd: a view left running never keeps the process alive
    set: (fn: () => void, ms: number) => setTimeout(fn, ms).unref(),
    clear: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const tailLines = opts.tailLines ?? 5;
  const paint = (code: string, text: string) =>
    opts.color ? `${ESC}${code}m${text}${ESC}0m` : text;

  const groups = new Map<string, Group>();
  /** Vertexes on the live lines, in the order first seen (grouped when drawn). */
  const vertexes = new Map<string, Vertex>();
  /** Vertexes printed for good: later updates of them are ignored. */
  const committed = new Set<string>();
  let pending: string[] = [];
  let drawn = 0;
  let timer: unknown;
  let finished = false;

  const width = () => Math.max(20, (stream.columns || 80) - 1);
  /** Live lines beyond the screen's height could not be redrawn in place. */
  const maxLive = () => Math.max(4, (stream.rows || 24) - 2);

  /** `left` and `right` on one line of the terminal's width, `left` cut short to fit. */
  const fit = (left: string, right: string, style?: string) => {
    const room = width() - right.length - 2;
    const chars = [...left];
    const shown = chars.length > room ? `${chars.slice(0, Math.max(0, room - 1)).join('')}…` : left;
    const gap = ' '.repeat(Math.max(2, width() - [...shown].length - right.length));
    const text = `${shown}${gap}${right}`;
    return style ? paint(style, text) : text;
  };
  const cut = (text: string) => {
    const chars = [...text];
    return chars.length > width() ? `${chars.slice(0, width() - 1).join('')}…` : text;
  };

  const group = (e: { kind: string; extension: string }): Group => {
    const key = `${e.kind}\u0000${e.extension}`;
    let g = groups.get(key);
    if (!g) {
      g = { label: vertexLabel(e), vertexes: false, lines: [], dropped: 0, partial: '' };
      groups.set(key, g);
    }
    return g;
  };

  /** Shown at all: internal vertexes only while they run, or when they failed. */
  const listed = (v: Vertex) => !v.internal || v.state === 'started' || v.state === 'error';

  const line = (v: Vertex): string => {
    if (v.state === 'started') {
      return fit(`${v.group.label} ${v.name}`, seconds(now() - v.seenAt), '36');
    }
    const style = v.state === 'error' ? '31' : v.state === 'cached' ? '2' : undefined;
    return fit(`${v.group.label} ${v.name}`, vertexStatus(v), style);
  };

  const liveLines = (): string[] => {
    const out: string[] = [];
    for (const g of groups.values()) {
      const mine = [...vertexes.values()].filter((v) => v.group === g && listed(v));
      const running = mine.filter((v) => v.state === 'started');
      for (const v of mine) {
        out.push(line(v));
        if (v !== running[running.length - 1] || tailLines === 0) continue;
        const start = Math.max(v.firstLine - g.dropped, 0);
        for (const text of g.lines.slice(start).slice(-tailLines)) {
          out.push(paint('2', cut(`  ${text}`)));
        }
      }
    }
    // a live area taller than the screen cannot be redrawn: its top is dropped
    return out.length > maxLive() ? out.slice(-maxLive()) : out;
  };

  /**
   * Prints a group's vertexes for good, in order: `which` 'all', 'finished' (every one that
   * ended), or 'leading' (those that ended before the first still running).
   */
  const commit = (g: Group, which: 'all' | 'finished' | 'leading') => {
    for (const [key, v] of vertexes) {
      if (v.group !== g) continue;
      if (v.state === 'started' && which !== 'all') {
        if (which === 'leading') break;
        continue;
      }
      vertexes.delete(key);
      committed.add(key);
      if (listed(v)) pending.push(line(v));
      if (v.state === 'error') failure(g, v);
    }
  };

  const failure = (g: Group, v: Vertex) => {
    if (g.partial !== '') {
      keep(g, g.partial);
      g.partial = '';
    }
    pending.push('------', paint('31', ` > ${g.label} ${v.name}:`));
    if (v.firstLine < g.dropped) {
      pending.push(` (${g.dropped - v.firstLine} earlier lines not kept)`);
    }
    for (const text of g.lines.slice(Math.max(v.firstLine - g.dropped, 0)))
      pending.push(` ${text}`);
    if (v.error) pending.push(paint('31', ` ${v.error}`));
    pending.push('------');
  };

  const frame = (text = '') => {
    let out = drawn > 0 ? `${ESC}${drawn}A\r${ESC}J` : '';
    for (const l of pending) out += `${l}\n`;
    pending = [];
    out += text;
    const live = finished ? [] : liveLines();
    for (const l of live) out += `${l}\n`;
    drawn = live.length;
    if (out !== '') stream.write(out);
  };

  const tick = () => {
    timer = undefined;
    frame();
    // times only change while a step runs
    if ([...vertexes.values()].some((v) => v.state === 'started')) schedule();
  };
  const schedule = () => {
    if (timer === undefined && !finished) timer = timers.set(tick, interval);
  };

  const vertex = (e: VertexEvent) => {
    const g = group(e);
    g.vertexes = true;
    const key = `${e.kind}\u0000${e.extension}\u0000${e.id}`;
    if (committed.has(key)) return;
    let v = vertexes.get(key);
    if (!v) {
      v = {
        group: g,
        name: e.name,
        internal: e.internal,
        state: e.state,
        seenAt: now(),
        startedAt: undefined,
        completedAt: undefined,
        firstLine: g.dropped + g.lines.length,
        error: undefined,
      };
      vertexes.set(key, v);
    }
    if (e.name !== '') v.name = e.name;
    // started again (the daemon restarts a vertex): its time counts from now
    if (e.state === 'started' && v.state !== 'started') v.seenAt = now();
    v.state = e.state;
    v.startedAt = e.startedAt;
    v.completedAt = e.completedAt;
    v.error = e.error;
    if (e.state === 'error') commit(g, 'finished');
    else if (e.state !== 'started' && liveLines().length >= maxLive()) commit(g, 'leading');
  };

  const keep = (g: Group, text: string) => {
    g.lines.push(text);
    if (g.lines.length > KEPT_LINES) {
      g.lines.shift();
      g.dropped++;
    }
  };

  return {
    handle(e) {
      if (finished) return false;
      if (e.type === 'extension.start' || e.type === 'extension.applied') {
        // a Dockerfile's steps stay live (updated in place) until it is applied
        const g = group(e);
        commit(g, 'all');
        if (e.type === 'extension.applied') {
          frame();
          return false;
        }
        g.lines = [];
        g.dropped = 0;
        g.partial = '';
        return false;
      }
      if (e.type === 'extension.vertex') {
        vertex(e);
        schedule();
        return true;
      }
      if (e.type === 'extension.output') {
        const g = group(e);
        if (!g.vertexes) return false;
        const parts = (g.partial + e.text).split('\n');
        g.partial = parts.pop() ?? '';
        for (const line of parts) keep(g, line.endsWith('\r') ? line.slice(0, -1) : line);
        schedule();
        return true;
      }
      return false;
    },
    write(text) {
      if (finished) {
        stream.write(text);
        return;
      }
      frame(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    },
    finish() {
      if (finished) return;
      if (timer !== undefined) timers.clear(timer);
      timer = undefined;
      // what is still live is printed as it is (a step still running: as last drawn)
      for (const g of groups.values()) commit(g, 'all');
      finished = true;
      frame();
    },
  };
}
