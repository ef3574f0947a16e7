/** A horizontal bar chart (SVG, written by hand) of the median total and extension times. */
import { type GroupSummary, seconds } from './summary.js';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = { pack: '#8c6bb1', imgext: '#2b8cbe' } as const;

/** One row per group: pack's and imgext's median total (solid) and extension work (hatched). */
export function renderSvg(groups: GroupSummary[], title: string): string {
  const rows = groups.filter(
    (g) => g.total.pack || g.total.imgext || Object.keys(g.failures).length,
  );
  const labelW = 420;
  const plotW = 520;
  const barH = 12;
  const rowH = 2 * barH + 14;
  const top = 40;
  const height = top + rows.length * rowH + 40;
  const max = Math.max(
    1,
    ...rows.flatMap((g) => [g.total.pack?.median ?? 0, g.total.imgext?.median ?? 0]),
  );
  const x = (ms: number) => (ms / max) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 90}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${labelW}" y="8" width="10" height="10" fill="${COLORS.pack}"/><text x="${labelW + 14}" y="17">pack (kaniko extender)</text>`,
    `<rect x="${labelW + 160}" y="8" width="10" height="10" fill="${COLORS.imgext}"/><text x="${labelW + 174}" y="17">imgext</text>`,
    `<text x="${labelW + 240}" y="17">light part: extension work</text>`,
  ];
  rows.forEach((g, i) => {
    const y = top + i * rowH;
    out.push(
      `<text x="${labelW - 6}" y="${y + barH + 4}" text-anchor="end">${esc(`${g.engine} ${g.stack} ${g.mode} ${g.scenario} ${g.temperature}`)}</text>`,
    );
    (['pack', 'imgext'] as const).forEach((tool, j) => {
      const by = y + j * (barH + 2);
      const total = g.total[tool];
      if (!total) {
        const why = g.failures[tool] ? 'failed' : 'not run';
        out.push(`<text x="${labelW + 4}" y="${by + barH - 2}" fill="#b00">${tool}: ${why}</text>`);
        return;
      }
      const ext = g.extend[tool]?.median ?? 0;
      out.push(
        `<rect x="${labelW}" y="${by}" width="${x(total.median).toFixed(1)}" height="${barH}" fill="${COLORS[tool]}"><title>${tool} ${seconds(total.median)} s</title></rect>`,
        `<rect x="${labelW}" y="${by}" width="${x(Math.min(ext, total.median)).toFixed(1)}" height="${barH}" fill="white" fill-opacity="0.45"/>`,
        `<text x="${(labelW + x(total.median) + 4).toFixed(1)}" y="${by + barH - 2}">${seconds(total.median)} s</text>`,
      );
    });
  });
  out.push(
    `<text x="${labelW}" y="${height - 12}">0 s</text>`,
    `<text x="${labelW + plotW}" y="${height - 12}" text-anchor="end">${seconds(max)} s (median time to image)</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
