/** The results table: per-client values, engine-client's speed relative to the others, peak memory. */
import type { ClientName } from './clients.js';

export interface Row {
  group: string;
  name: string;
  unit: string;
  /** true for rates (ops/s, MiB/s), false for durations. */
  higherIsBetter: boolean;
  values: Partial<Record<ClientName, number>>;
  /** Peak RSS above the process's baseline, MiB, when measured (child process per client). */
  rss?: Partial<Record<ClientName, number>>;
  note?: string;
}

/** engine-client's speed relative to `other`: > 1 means engine-client is faster. */
export function speedup(row: Row, other: ClientName): number | undefined {
  const ec = row.values['engine-client'];
  const o = row.values[other];
  if (ec === undefined || o === undefined || ec === 0 || o === 0) return undefined;
  return row.higherIsBetter ? ec / o : o / ec;
}

const fmt = (v: number | undefined) =>
  v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const ratio = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}x`);
const rss = (row: Row) =>
  row.rss
    ? (['engine-client', 'dockerode', 'undici'] as const)
        .map((c) => (row.rss?.[c] === undefined ? '–' : `${row.rss[c]!.toFixed(0)}`))
        .join(' / ')
    : '';

const HEAD = [
  'group',
  'measure',
  'unit',
  'engine-client',
  'dockerode',
  'undici',
  'ec vs undici',
  'ec vs dockerode',
  'peak RSS MiB (ec / dd / undici)',
];

function cells(row: Row): string[] {
  return [
    row.group,
    row.name,
    row.unit,
    fmt(row.values['engine-client']),
    fmt(row.values.dockerode),
    fmt(row.values.undici),
    ratio(speedup(row, 'undici')),
    ratio(speedup(row, 'dockerode')),
    rss(row),
  ];
}

export function textTable(rows: Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join(
    '\n',
  );
}

export function markdownTable(rows: Row[]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(HEAD), line(HEAD.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n');
}

export function notes(rows: Row[]): string[] {
  return rows.filter((r) => r.note).map((r) => `- ${r.group} / ${r.name}: ${r.note}`);
}
