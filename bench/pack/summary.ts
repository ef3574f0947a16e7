/** Results of the side-by-side runs, grouped, with medians, and rendered as markdown. */
import type { Timings } from './timings.js';

export type Tool = 'pack' | 'imgext';

export interface RunResult {
  engine: string;
  stack: string;
  mode: 'daemon' | 'publish';
  scenario: string;
  temperature: 'cold' | 'warm';
  tool: Tool;
  round: number;
  ok: boolean;
  /** Why it failed (the tool's last error line). */
  error?: string;
  timings?: Timings;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s.at(-1)!, n: s.length };
}

export interface GroupSummary {
  key: string;
  engine: string;
  stack: string;
  mode: string;
  scenario: string;
  temperature: string;
  total: Partial<Record<Tool, Spread>>;
  extend: Partial<Record<Tool, Spread>>;
  /** Median of each phase per tool. */
  phases: Partial<Record<Tool, Timings>>;
  failures: Partial<Record<Tool, string>>;
}

const PHASE_KEYS: (keyof Timings)[] = [
  'totalMs',
  'setupMs',
  'analyzeMs',
  'detectMs',
  'restoreMs',
  'extendAndBuildMs',
  'exportMs',
  'extendMs',
  'layoutMs',
];

export function summarize(results: RunResult[]): GroupSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = [r.engine, r.stack, r.mode, r.scenario, r.temperature].join(' | ');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const first = rs[0]!;
    const g: GroupSummary = {
      key,
      engine: first.engine,
      stack: first.stack,
      mode: first.mode,
      scenario: first.scenario,
      temperature: first.temperature,
      total: {},
      extend: {},
      phases: {},
      failures: {},
    };
    for (const tool of ['pack', 'imgext'] as const) {
      const ok = rs.filter((r) => r.tool === tool && r.ok && r.timings).map((r) => r.timings!);
      const failed = rs.find((r) => r.tool === tool && !r.ok);
      if (failed) g.failures[tool] = failed.error ?? 'failed';
      const total = spread(ok.map((t) => t.totalMs));
      if (total) g.total[tool] = total;
      const ext = spread(ok.map((t) => t.extendMs));
      if (ext) g.extend[tool] = ext;
      if (ok.length > 0) {
        const med = {} as Timings;
        for (const k of PHASE_KEYS) med[k] = spread(ok.map((t) => t[k] ?? 0))!.median;
        g.phases[tool] = med;
      }
    }
    return g;
  });
}

export const seconds = (ms: number) => (ms / 1000).toFixed(2);

function cell(s: Spread | undefined, failure: string | undefined): string {
  if (!s) return failure ? 'failed' : '—';
  return `${seconds(s.median)} (${seconds(s.min)}–${seconds(s.max)})`;
}

/** pack's median over imgext's: > 1 means imgext is faster. */
export function ratio(pack: Spread | undefined, imgext: Spread | undefined): string {
  if (!pack || !imgext || imgext.median <= 0) return '—';
  return `${(pack.median / imgext.median).toFixed(2)}×`;
}

/** The main table: median (min–max) seconds per tool, and the ratio pack/imgext. */
export function renderTable(groups: GroupSummary[]): string {
  const head =
    '| engine | stack | mode | scenario | cache | pack total s | imgext total s | pack/imgext | pack extension s | imgext extension s | pack/imgext |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const rows = groups.map(
    (g) =>
      `| ${g.engine} | ${g.stack} | ${g.mode} | ${g.scenario} | ${g.temperature} | ${cell(g.total.pack, g.failures.pack)} | ${cell(g.total.imgext, g.failures.imgext)} | ${ratio(g.total.pack, g.total.imgext)} | ${cell(g.extend.pack, g.failures.pack)} | ${cell(g.extend.imgext, g.failures.imgext)} | ${ratio(g.extend.pack, g.extend.imgext)} |`,
  );
  return `${head + rows.join('\n')}\n`;
}

/** Per-phase medians (seconds), one row per group and tool. */
export function renderPhases(groups: GroupSummary[]): string {
  const head =
    '| engine | stack | mode | scenario | cache | tool | setup | analyze | detect | restore | extend + build | export | total | extension | of which run layout |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n';
  const rows: string[] = [];
  for (const g of groups) {
    for (const tool of ['pack', 'imgext'] as const) {
      const p = g.phases[tool];
      if (!p) continue;
      rows.push(
        `| ${g.engine} | ${g.stack} | ${g.mode} | ${g.scenario} | ${g.temperature} | ${tool} | ${[p.setupMs, p.analyzeMs, p.detectMs, p.restoreMs, p.extendAndBuildMs, p.exportMs, p.totalMs, p.extendMs, p.layoutMs ?? 0].map(seconds).join(' | ')} |`,
      );
    }
  }
  return `${head + rows.join('\n')}\n`;
}

/** Failures, one line each. */
export function renderFailures(groups: GroupSummary[]): string {
  const lines: string[] = [];
  for (const g of groups) {
    for (const [tool, error] of Object.entries(g.failures))
      lines.push(`- ${g.key}, ${tool}: ${error}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : 'none\n';
}
