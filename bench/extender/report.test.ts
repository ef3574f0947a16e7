import { describe, expect, it } from 'vitest';
import { median, type ReportMeta, renderReport, type Sample } from './report.js';

const meta: ReportMeta = {
  started: new Date('2026-12-03T07:10:00Z'),
  finished: new Date('2026-12-03T07:41:00Z'),
  rounds: 3,
  files: 3000,
  prune: true,
  versions: 'docker-26.1: Docker 26.1.5 (containerd store)',
};

const base = { engine: 'docker-26.1', stack: 'busybox', n: 1 } as const;

describe('the extender builders report', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('shows median (min-max) per tool and the ratios of medians against BuildKit', () => {
    const samples: Sample[] = [
      ...[1000, 3000, 2000].map((ms, round) => ({
        ...base,
        cache: 'cold' as const,
        tool: 'classic' as const,
        round,
        ms,
      })),
      ...[500, 1500, 1000].map((ms, round) => ({
        ...base,
        cache: 'cold' as const,
        tool: 'buildkit' as const,
        round,
        ms,
      })),
      ...[4000, 4000, 4000].map((ms, round) => ({
        ...base,
        cache: 'cold' as const,
        tool: 'buildx' as const,
        round,
        ms,
      })),
    ];
    const { markdown } = renderReport(samples, [meta]);
    expect(markdown).toContain(
      '| 1 | cold | 2.00 (1.00-3.00) | 1.00 (0.50-1.50) | 4.00 (4.00-4.00) | 2.00x | 4.00x |',
    );
    expect(markdown).toContain('Run 2026-12-03 07:10 UTC to 2026-12-03 07:41 UTC: 3 round(s)');
  });

  it('marks a tool that failed, lists its first error, and gives no ratio for it', () => {
    const samples: Sample[] = [
      { ...base, cache: 'cold', tool: 'classic', round: 0, ms: 1000 },
      { ...base, cache: 'cold', tool: 'buildkit', round: 0, error: 'TypeError: not supported yet' },
      { ...base, cache: 'cold', tool: 'buildx', round: 0, ms: 800 },
    ];
    const { markdown, docs } = renderReport(samples, [meta]);
    expect(markdown).toContain(
      '| 1 | cold | 1.00 (1.00-1.00) | failed | 0.80 (0.80-0.80) | - | - |',
    );
    expect(markdown).toContain(
      '- docker-26.1, busybox, imgext BuildKit: `TypeError: not supported yet`',
    );
    expect(docs).not.toContain('# Extender builders');
  });

  it('reports the images each tool left after its last run and the most at any point', () => {
    const samples: Sample[] = [
      {
        ...base,
        cache: 'warm',
        tool: 'buildx',
        round: 0,
        ms: 1,
        left: { dangling: 3, untagged: 3 },
      },
      {
        ...base,
        cache: 'warm',
        tool: 'buildx',
        round: 1,
        ms: 1,
        left: { dangling: 1, untagged: 2 },
      },
    ];
    const { markdown } = renderReport(samples, [meta]);
    expect(markdown).toContain(
      'docker buildx build 1 dangling / 2 untagged (most at any point: 3 / 3)',
    );
    expect(markdown).toContain('imgext classic -');
  });
});
