/** A plain text table: columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][], indent = '  '): string[] {
  if (rows.length === 0) return [`${indent}(none)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${indent}${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
