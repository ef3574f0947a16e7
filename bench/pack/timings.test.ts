import { describe, expect, it } from 'vitest';
import { imgextTimings, packTimings, parseGoDuration, parsePackStamp } from './timings.js';

describe('parseGoDuration', () => {
  it('reads the units Go prints', () => {
    expect(parseGoDuration('87.5ms')).toBeCloseTo(87.5);
    expect(parseGoDuration('69.994µs')).toBeCloseTo(0.069994);
    expect(parseGoDuration('1m2.5s')).toBe(62500);
    expect(parseGoDuration('2.5s')).toBe(2500);
  });
  it('refuses what is not a duration', () => {
    expect(parseGoDuration('fast')).toBeUndefined();
    expect(parseGoDuration('12 ms')).toBeUndefined();
  });
});

describe('parsePackStamp', () => {
  it('splits pack --timestamps lines (UTC)', () => {
    expect(parsePackStamp('2026/12/02 22:17:24.970708 ===> ANALYZING')).toEqual({
      epochMs: Date.UTC(2026, 11, 2, 22, 17, 24) + 970.708,
      text: '===> ANALYZING',
    });
    expect(parsePackStamp('no stamp')).toBeUndefined();
  });
});

const at = (s: number) => `2026/12/02 22:00:${String(s.toFixed(3)).padStart(6, '0')}`;
const t0 = Date.UTC(2026, 11, 2, 22, 0, 0);

describe('packTimings', () => {
  it('gives each phase the time to the next marker, and the longest extender as extension work', () => {
    const lines = [
      `${at(1)} ===> ANALYZING`,
      `${at(2)} ===> DETECTING`,
      `${at(3.5)} ===> RESTORING`,
      `${at(4)} ===> EXTENDING (BUILD)`,
      `${at(4.01)} ===> EXTENDING (RUN)`,
      `${at(5)} [extender (run)] Timer: Extender ran for 300ms and ended at 2026-12-02T22:00:05Z`,
      `${at(5.5)} [extender (build)] Timer: Extender ran for 1.2s and ended at 2026-12-02T22:00:05Z`,
      `${at(6)} ===> EXPORTING`,
      `${at(7)} Successfully built image`,
    ];
    const t = packTimings(lines, t0 + 500, t0 + 7500);
    expect(t.totalMs).toBe(7000);
    expect(t.setupMs).toBeCloseTo(500);
    expect(t.analyzeMs).toBeCloseTo(1000);
    expect(t.detectMs).toBeCloseTo(1500);
    expect(t.restoreMs).toBeCloseTo(500);
    expect(t.extendAndBuildMs).toBeCloseTo(2000);
    expect(t.exportMs).toBeCloseTo(1500);
    expect(t.extendMs).toBeCloseTo(1200);
    expect(t.layoutMs).toBe(0);
  });
  it('counts a BUILDING phase (no build extension) in extend + build', () => {
    const t = packTimings(
      [`${at(1)} ===> RESTORING`, `${at(2)} ===> BUILDING`, `${at(4)} ===> EXPORTING`],
      t0,
      t0 + 5000,
    );
    expect(t.extendAndBuildMs).toBeCloseTo(2000);
    expect(t.extendMs).toBe(0);
  });
  it('puts everything in setup when pack failed before a phase', () => {
    expect(packTimings(['ERROR: no builder'], t0, t0 + 300).setupMs).toBe(300);
  });
});

describe('imgextTimings', () => {
  it('takes phase durationMs and branch spans from the --json events', () => {
    const ev = (atMs: number, e: object) => ({ atMs, line: JSON.stringify(e) });
    const t = imgextTimings(
      [
        ev(400, { type: 'phase.start', phase: 'analyzer' }),
        ev(900, { type: 'phase.end', phase: 'analyzer', durationMs: 450 }),
        ev(950, { type: 'phase.start', phase: 'detector' }),
        ev(1300, { type: 'phase.end', phase: 'detector', durationMs: 340 }),
        ev(1350, { type: 'phase.start', phase: 'restorer' }),
        ev(1700, { type: 'phase.end', phase: 'restorer', durationMs: 330 }),
        ev(1710, { type: 'branch.start', task: 'extend-build' }),
        ev(1710, { type: 'branch.start', task: 'extend-run' }),
        ev(1900, { type: 'extension.applied', kind: 'run' }),
        ev(2090, { type: 'layout.done' }),
        ev(2100, { type: 'branch.done', task: 'extend-run' }),
        ev(2900, { type: 'branch.done', task: 'extend-build' }),
        ev(2900, { type: 'branch.start', task: 'build' }),
        ev(3300, { type: 'branch.done', task: 'build' }),
        ev(3310, { type: 'phase.start', phase: 'exporter' }),
        ev(3900, { type: 'phase.end', phase: 'exporter', durationMs: 580 }),
        { atMs: 3950, line: 'not json' },
      ],
      4000,
    );
    expect(t).toEqual({
      totalMs: 4000,
      setupMs: 400,
      analyzeMs: 450,
      detectMs: 340,
      restoreMs: 330,
      extendAndBuildMs: 1610,
      exportMs: 580,
      extendMs: 1190,
      layoutMs: 190,
    });
  });
});

describe('imgextTimings, detect beside analyze', () => {
  it('counts of detect only what it took after analyze ended', () => {
    const ev = (atMs: number, e: object) => ({ atMs, line: JSON.stringify(e) });
    const t = imgextTimings(
      [
        ev(300, { type: 'phase.start', phase: 'analyzer' }),
        ev(350, { type: 'phase.start', phase: 'detector' }),
        ev(500, { type: 'phase.end', phase: 'analyzer', durationMs: 200 }),
        ev(560, { type: 'phase.end', phase: 'detector', durationMs: 210 }),
      ],
      1000,
    );
    expect(t).toMatchObject({ setupMs: 300, analyzeMs: 200, detectMs: 60 });
    // detect ending first: nothing of it on the path
    const u = imgextTimings(
      [
        ev(300, { type: 'phase.start', phase: 'analyzer' }),
        ev(310, { type: 'phase.start', phase: 'detector' }),
        ev(400, { type: 'phase.end', phase: 'detector', durationMs: 90 }),
        ev(500, { type: 'phase.end', phase: 'analyzer', durationMs: 200 }),
      ],
      1000,
    );
    expect(u.detectMs).toBe(0);
  });
});
