import { describe, expect, it } from 'vitest';
import {
  type RunResult,
  ratio,
  renderFailures,
  renderPhases,
  renderTable,
  spread,
  summarize,
} from './summary.js';
import { renderSvg } from './svg.js';
import type { Timings } from './timings.js';

const timings = (totalMs: number, extendMs: number): Timings => ({
  totalMs,
  setupMs: 100,
  analyzeMs: 200,
  detectMs: 300,
  restoreMs: 400,
  extendAndBuildMs: 500,
  exportMs: 600,
  extendMs,
  layoutMs: 0,
});

const result = (
  tool: 'pack' | 'imgext',
  round: number,
  t?: Timings,
  error?: string,
): RunResult => ({
  engine: 'docker-26.1-classic',
  stack: 'busybox',
  mode: 'daemon',
  scenario: 'both-1',
  temperature: 'warm',
  tool,
  round,
  ok: !!t,
  ...(t ? { timings: t } : {}),
  ...(error ? { error } : {}),
});

describe('spread', () => {
  it('gives median, min and max', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(spread([])).toBeUndefined();
  });
});

describe('summarize and render', () => {
  const results = [
    result('pack', 0, timings(6000, 3000)),
    result('pack', 1, timings(4000, 1000)),
    result('pack', 2, timings(5000, 2000)),
    result('imgext', 0, timings(2000, 200)),
    result('imgext', 1, timings(2600, 100)),
    result('imgext', 2, undefined, 'exit code 1'),
  ];
  const groups = summarize(results);

  it('groups per cell and takes medians per tool, keeping failures', () => {
    expect(groups).toHaveLength(1);
    expect(groups[0]!.total.pack).toEqual({ median: 5000, min: 4000, max: 6000, n: 3 });
    expect(groups[0]!.total.imgext).toEqual({ median: 2300, min: 2000, max: 2600, n: 2 });
    expect(groups[0]!.failures).toEqual({ imgext: 'exit code 1' });
  });

  it('renders the ratio pack/imgext in the table', () => {
    expect(ratio(groups[0]!.total.pack, groups[0]!.total.imgext)).toBe('2.17×');
    const table = renderTable(groups);
    expect(table).toContain(
      '| docker-26.1-classic | busybox | daemon | both-1 | warm | 5.00 (4.00–6.00) | 2.30 (2.00–2.60) | 2.17× | 2.00 (1.00–3.00) | 0.15 (0.10–0.20) | 13.33× |',
    );
    expect(renderPhases(groups)).toContain(
      '| pack | 0.10 | 0.20 | 0.30 | 0.40 | 0.50 | 0.60 | 5.00 | 2.00 | 0.00 |',
    );
    expect(renderFailures(groups)).toContain('imgext: exit code 1');
  });

  it('draws one pair of bars per cell, longest bar for the slowest median', () => {
    const svg = renderSvg(groups, 'a <title>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('a &lt;title&gt;');
    const widths = [
      ...svg.matchAll(/<rect x="420" y="\d+" width="([\d.]+)" height="12" fill="#/g),
    ].map((m) => Number(m[1]));
    expect(widths).toEqual([520, 239.2]);
  });

  it('marks a tool that only failed', () => {
    const svg = renderSvg(
      summarize([result('pack', 0, undefined, 'panic'), result('imgext', 0, timings(1000, 10))]),
      't',
    );
    expect(svg).toContain('pack: failed');
  });
});
