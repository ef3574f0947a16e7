/**
 * Phase timings of one build, from each tool's own output: pack's `--timestamps` lines (its
 * `===> PHASE` markers and the lifecycle's debug `Timer: X ran for D` lines), and imgext's `--json`
 * events (phase `durationMs`, branch start/done), stamped with their arrival time.
 */

/** The common breakdown of a build, in milliseconds. */
export interface Timings {
  /** Process start to image (wall). */
  totalMs: number;
  /** Before the first phase: pulls, volumes, the app upload, the first container. */
  setupMs: number;
  analyzeMs: number;
  detectMs: number;
  restoreMs: number;
  /** Restore's end to export's start: the extensions and the buildpacks' build. */
  extendAndBuildMs: number;
  exportMs: number;
  /** The extension work alone: the longest extender (both tools run build and run in parallel). */
  extendMs: number;
  /**
   * imgext only (inside extendMs): writing the run image's OCI layout for the exporter, from the
   * last run.Dockerfile applied to `layout.done`. 0 for pack (kaniko writes it as it goes).
   */
  layoutMs: number;
}

/** A line of output and when it arrived (ms since the process started). */
export interface StampedLine {
  atMs: number;
  line: string;
}

const PACK_STAMP = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d+) (.*)$/;

/** pack --timestamps: `2026/12/02 22:17:24.970708 text`. Returns epoch ms and the text. */
export function parsePackStamp(line: string): { epochMs: number; text: string } | undefined {
  const m = PACK_STAMP.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, text] = m as unknown as string[];
  const ms = Number(`0.${frac}`) * 1000;
  // pack prints local time; the harness runs it with TZ=UTC.
  const epochMs = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!) + ms;
  return { epochMs, text: text ?? '' };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  µs: 1e-3,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60000,
  h: 3600000,
};

/** Go's time.Duration text (`1m2.5s`, `87.498721ms`, `69.994µs`) in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/([\d.]+)(ns|µs|us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2]!] ?? 0), 0);
}

const PACK_PHASES: Record<string, keyof Timings | 'extend'> = {
  ANALYZING: 'analyzeMs',
  DETECTING: 'detectMs',
  RESTORING: 'restoreMs',
  'EXTENDING (BUILD)': 'extend',
  'EXTENDING (RUN)': 'extend',
  BUILDING: 'extend',
  EXPORTING: 'exportMs',
};

/**
 * pack's timings from its `-v --timestamps` output. `startEpochMs`/`endEpochMs`: when the harness
 * started pack and saw it exit (epoch ms).
 */
export function packTimings(lines: string[], startEpochMs: number, endEpochMs: number): Timings {
  const marks: { phase: string; at: number }[] = [];
  let extendMs = 0;
  for (const raw of lines) {
    const stamped = parsePackStamp(raw);
    if (!stamped) continue;
    const marker = /^===> (.+)$/.exec(stamped.text.trim());
    if (marker && marker[1]! in PACK_PHASES) marks.push({ phase: marker[1]!, at: stamped.epochMs });
    const timer = /\[extender \((?:build|run)\)\] Timer: Extender ran for (\S+) /.exec(
      stamped.text,
    );
    if (timer) extendMs = Math.max(extendMs, parseGoDuration(timer[1]!) ?? 0);
  }
  const t: Timings = {
    totalMs: endEpochMs - startEpochMs,
    setupMs: 0,
    analyzeMs: 0,
    detectMs: 0,
    restoreMs: 0,
    extendAndBuildMs: 0,
    exportMs: 0,
    extendMs,
    layoutMs: 0,
  };
  if (marks.length === 0) return { ...t, setupMs: t.totalMs };
  t.setupMs = marks[0]!.at - startEpochMs;
  for (const [i, m] of marks.entries()) {
    const end = marks[i + 1]?.at ?? endEpochMs;
    const key = PACK_PHASES[m.phase]!;
    const field = key === 'extend' ? 'extendAndBuildMs' : key;
    t[field] += end - m.at;
  }
  return t;
}

/** An imgext --json event as the harness saw it. */
interface ImgextEvent {
  type: string;
  phase?: string;
  task?: string;
  durationMs?: number;
  kind?: string;
}

/** imgext's timings from its `--json` lines, each stamped with its arrival (ms since start). */
export function imgextTimings(lines: StampedLine[], totalMs: number): Timings {
  const t: Timings = {
    totalMs,
    setupMs: 0,
    analyzeMs: 0,
    detectMs: 0,
    restoreMs: 0,
    extendAndBuildMs: 0,
    exportMs: 0,
    extendMs: 0,
    layoutMs: 0,
  };
  const phaseField: Record<string, keyof Timings> = {
    analyzer: 'analyzeMs',
    detector: 'detectMs',
    restorer: 'restoreMs',
    exporter: 'exportMs',
  };
  const branchStart = new Map<string, number>();
  let firstPhaseAt: number | undefined;
  let restoreEndAt: number | undefined;
  let exportStartAt: number | undefined;
  let lastRunAppliedAt: number | undefined;
  let analyzeEndAt: number | undefined;
  let detectEndAt: number | undefined;
  for (const { atMs, line } of lines) {
    let e: ImgextEvent;
    try {
      e = JSON.parse(line) as ImgextEvent;
    } catch {
      continue;
    }
    if (e.type === 'phase.start') {
      firstPhaseAt ??= atMs;
      if (e.phase === 'exporter') exportStartAt = atMs;
    } else if (e.type === 'phase.end' && e.phase && typeof e.durationMs === 'number') {
      const field = phaseField[e.phase];
      if (field) t[field] += e.durationMs;
      if (e.phase === 'restorer') restoreEndAt = atMs;
      if (e.phase === 'analyzer') analyzeEndAt = atMs;
      if (e.phase === 'detector') detectEndAt = atMs;
    } else if (e.type === 'extension.applied' && e.kind === 'run') {
      lastRunAppliedAt = atMs;
    } else if (e.type === 'layout.done' && lastRunAppliedAt !== undefined) {
      t.layoutMs = atMs - lastRunAppliedAt;
    } else if (e.type === 'branch.start' && e.task) {
      branchStart.set(e.task, atMs);
    } else if (e.type === 'branch.done' && e.task?.startsWith('extend-')) {
      const start = branchStart.get(e.task);
      if (start !== undefined) t.extendMs = Math.max(t.extendMs, atMs - start);
    }
  }
  t.setupMs = firstPhaseAt ?? totalMs;
  // imgext runs detect beside analyze (the run image in the daemon): detect then counts only
  // what it took after analyze had ended, so that the columns add up to the wall time.
  if (
    analyzeEndAt !== undefined &&
    detectEndAt !== undefined &&
    detectEndAt - t.detectMs < analyzeEndAt
  ) {
    t.detectMs = Math.max(0, detectEndAt - analyzeEndAt);
  }
  if (restoreEndAt !== undefined && exportStartAt !== undefined) {
    t.extendAndBuildMs = exportStartAt - restoreEndAt;
  }
  return t;
}
