/** The extender builders benchmark's table: medians, min-max, ratios, images left behind. */

export const TOOLS = ['classic', 'buildkit', 'buildx'] as const;
export type Tool = (typeof TOOLS)[number];

export const TOOL_NAMES: Record<Tool, string> = {
  classic: 'imgext classic',
  buildkit: 'imgext BuildKit',
  buildx: 'docker buildx build',
};

/** See phaseClock in builders.ts (ms, summed over a chain's Dockerfiles). */
export interface Phases {
  before: number;
  steps: number;
  after: number;
  between: number;
}

export interface Sample {
  engine: string;
  stack: string;
  n: number;
  cache: 'cold' | 'warm';
  tool: Tool;
  round: number;
  /** The chain's wall time; absent when it failed. */
  ms?: number;
  /** imgext: retireSuperseded after the run (untimed in `ms`, as imgext build runs it aside). */
  afterMs?: number;
  error?: string;
  phases?: Phases;
  /** After the warm run: images with this tool's label and no tag. */
  left?: { dangling: number; untagged: number };
}

export interface ReportMeta {
  started: Date;
  finished: Date;
  rounds: number;
  files: number;
  prune: boolean;
  versions: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const sec = (ms: number) => (ms / 1000).toFixed(2);

function cell(ms: number[], error?: string): string {
  if (ms.length === 0) return error ? 'failed' : '-';
  const lo = Math.min(...ms);
  const hi = Math.max(...ms);
  return `${sec(median(ms))} (${sec(lo)}-${sec(hi)})`;
}

function ratio(a: number[], b: number[]): string {
  if (a.length === 0 || b.length === 0) return '-';
  return `${(median(a) / median(b)).toFixed(2)}x`;
}

/** Renders the results: `markdown` for results/, `docs` for docs/extender.md's markers. */
export function renderReport(
  samples: Sample[],
  metas: ReportMeta[],
): { markdown: string; docs: string } {
  const groups = unique(samples.map((s) => `${s.engine}|${s.stack}`));
  const out: string[] = [];
  const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  for (const meta of metas) {
    out.push(
      `Run ${utc(meta.started)} to ${utc(meta.finished)}: ${meta.rounds} round(s), alternating which tool goes first; ${meta.versions}${meta.prune ? '' : '; BuildKit cache not pruned (--no-prune)'}.`,
      '',
    );
  }
  const files = metas[0]?.files ?? 3000;
  out.push(
    "Seconds for the whole chain of N build Dockerfiles: median (min-max). Cold: fresh Dockerfile content each round, and the daemon's BuildKit cache pruned before each BuildKit/buildx cold run; warm: the same chain again right after. Ratios of medians: > 1 means imgext's BuildKit backend is faster.",
    '',
  );
  const errors = new Map<string, string>();
  for (const g of groups) {
    const [engine, stack] = g.split('|') as [string, string];
    const here = samples.filter((s) => s.engine === engine && s.stack === stack);
    out.push(
      `**${engine}, ${stack} stack${stack === 'debian' ? ` (each Dockerfile writes ${files} files; the first installs 4 .deb files from its context)` : ''}**`,
      '',
      `| N | cache | ${TOOLS.map((t) => TOOL_NAMES[t]).join(' | ')} | classic / BuildKit | buildx / BuildKit |`,
      `| - | ----- | ${TOOLS.map(() => '---').join(' | ')} | --- | --- |`,
    );
    for (const n of unique(here.map((s) => s.n)).sort((a, b) => a - b)) {
      for (const cache of ['cold', 'warm'] as const) {
        const ms = (t: Tool) =>
          here
            .filter((s) => s.n === n && s.cache === cache && s.tool === t && s.ms !== undefined)
            .map((s) => s.ms!);
        const err = (t: Tool) => {
          const e = here.find(
            (s) => s.n === n && s.cache === cache && s.tool === t && s.error,
          )?.error;
          if (e) errors.set(`${engine}, ${stack}, ${TOOL_NAMES[t]}`, e);
          return e;
        };
        out.push(
          `| ${n} | ${cache} | ${TOOLS.map((t) => cell(ms(t), err(t))).join(' | ')} | ${ratio(ms('classic'), ms('buildkit'))} | ${ratio(ms('buildx'), ms('buildkit'))} |`,
        );
      }
    }
    out.push('');
    const maxN = Math.max(...here.map((s) => s.n));
    const left = TOOLS.map((t) => {
      const l = here.filter((s) => s.tool === t && s.left).map((s) => s.left!);
      if (l.length === 0) return `${TOOL_NAMES[t]} -`;
      const last = l.at(-1)!;
      return `${TOOL_NAMES[t]} ${last.dangling} dangling / ${last.untagged} untagged (most at any point: ${Math.max(...l.map((x) => x.dangling))} / ${Math.max(...l.map((x) => x.untagged))})`;
    });
    out.push(`Images left without a tag after the last run: ${left.join('; ')}.`);
    for (const cache of ['cold', 'warm'] as const) {
      const split = (['classic', 'buildkit'] as const)
        .map((t) => {
          const ph = here
            .filter((s) => s.tool === t && s.cache === cache && s.phases && s.n === maxN)
            .map((s) => s.phases!);
          if (ph.length === 0) return undefined;
          const m = (k: keyof Phases) => Math.round(median(ph.map((x) => x[k])));
          return `${TOOL_NAMES[t]} ${m('before')} ms before the first step, ${m('steps')} ms of steps, ${m('after')} ms after the last, ${m('between')} ms between Dockerfiles`;
        })
        .filter(Boolean);
      if (split.length > 0)
        out.push(
          `Where the time goes, N=${maxN} ${cache} (medians of sums over the chain): ${split.join('; ')}.`,
        );
    }
    const retire = here.filter(
      (s) => s.tool === 'classic' && s.afterMs !== undefined && s.afterMs > 1,
    );
    if (retire.length > 0) {
      out.push(
        `imgext classic's retireSuperseded after a run (not in the times above; imgext build runs it aside): median ${sec(median(retire.map((s) => s.afterMs!)))} s.`,
      );
    }
    out.push('');
  }
  if (errors.size > 0) {
    out.push('Failures (first error of each):', '');
    for (const [k, e] of errors) out.push(`- ${k}: \`${e.replace(/`/g, "'")}\``);
    out.push('');
  }
  const body = out.join('\n');
  return {
    markdown: `# Extender builders: imgext classic vs imgext BuildKit vs docker buildx build\n\nWritten by \`bash bench/extender/builders\` (bench/extender/builders.ts); see docs/extender.md.\n\n${body}`,
    docs: body.trimEnd(),
  };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
