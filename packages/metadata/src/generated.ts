import type { RunImageDecision } from './analyzed.js';
import type { DockerfileKind, DockerfileWarning, ValidatedDockerfile } from './dockerfile-rules.js';
import { validateDockerfile } from './dockerfile-rules.js';
import { MetadataError } from './errors.js';
import { escapeId } from './escape-id.js';
import { type ExtendArg, parseExtendConfig } from './extend-config.js';
import { usesNewGeneratedLayout } from './platform-api.js';

/** Read access to the generated folder; the extender implements it over the real filesystem. */
export interface GeneratedFs {
  /** Entries of a directory, or [] when it does not exist. */
  list(dir: string): Promise<Array<{ name: string; dir: boolean }>>;
  /** A file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
}

export interface GeneratedDockerfile {
  extensionId: string;
  kind: DockerfileKind;
  /** Path of the Dockerfile (joined with '/'). */
  path: string;
  text: string;
  /** A `.ignore` file stood in for it: a later run.Dockerfile switched the run image. */
  ignored: boolean;
  /** `[[build.args]]` or `[[run.args]]` of the extension's extend-config.toml. */
  args: ExtendArg[];
  /** The build context directory, or undefined for the app directory. */
  contextDir?: string;
  validated: ValidatedDockerfile;
}

export interface ReadGeneratedOptions {
  fs: GeneratedFs;
  /** The generated folder (`/layers/generated`). */
  dir: string;
  kind: DockerfileKind;
  platformApi: string;
  /** Extension ids in `[[group-extensions]]` order; default: the folder's entries, sorted. */
  order?: string[];
}

const join = (...parts: string[]) => parts.join('/').replace(/\/+/g, '/');

/**
 * Reads detect's output for one kind in either layout (platform API < 0.13:
 * `<kind>/<id>/Dockerfile`; >= 0.13: `<id>/<kind>.Dockerfile`), in group order, validated.
 */
export async function readGenerated(opts: ReadGeneratedOptions): Promise<GeneratedDockerfile[]> {
  const { fs, dir, kind } = opts;
  const newLayout = usesNewGeneratedLayout(opts.platformApi);
  const root = newLayout ? dir : join(dir, kind);
  const ids =
    opts.order?.map(escapeId) ??
    (await fs.list(root))
      .filter((e) => e.dir)
      .map((e) => e.name)
      .sort();
  const byEscaped = new Map((opts.order ?? ids).map((id) => [escapeId(id), id]));
  const out: GeneratedDockerfile[] = [];
  for (const escaped of ids) {
    const extensionId = byEscaped.get(escaped) ?? escaped;
    const extDir = join(root, escaped);
    const base = newLayout ? join(extDir, `${kind}.Dockerfile`) : join(extDir, 'Dockerfile');
    let text = await fs.read(base);
    let ignored = false;
    if (text === undefined) {
      text = await fs.read(`${base}.ignore`);
      ignored = text !== undefined;
    }
    if (text === undefined) continue;
    const path = ignored ? `${base}.ignore` : base;
    const src = { extension: extensionId, file: path };
    const config = await fs.read(join(extDir, 'extend-config.toml'));
    const args = config
      ? parseExtendConfig(config, {
          file: join(extDir, 'extend-config.toml'),
          extension: extensionId,
        })[kind]
      : [];
    const entry: GeneratedDockerfile = {
      extensionId,
      kind,
      path,
      text,
      ignored,
      args,
      validated: validateDockerfile(text, kind, src),
    };
    if (newLayout) {
      const contextDir = chooseContextDir(
        kind,
        (await fs.list(extDir)).filter((e) => e.dir).map((e) => e.name),
        extensionId,
      );
      if (contextDir) entry.contextDir = join(extDir, contextDir);
    }
    out.push(entry);
  }
  return out;
}

/**
 * The build context: `context.<kind>`, else `context`, else (undefined) the app directory.
 * `context` together with a `context.<kind>` directory is ambiguous and an error.
 */
export function chooseContextDir(
  kind: DockerfileKind,
  dirNames: string[],
  extension?: string,
): string | undefined {
  const shared = dirNames.includes('context');
  const specific = dirNames.filter((n) => n === 'context.build' || n === 'context.run');
  if (shared && specific.length > 0) {
    throw new MetadataError(
      'ERR_CONTEXT_AMBIGUOUS',
      `both "context" and "${specific.join('", "')}" exist; use either one shared context or per-kind contexts`,
      extension ? { extension } : {},
    );
  }
  if (dirNames.includes(`context.${kind}`)) return `context.${kind}`;
  return shared ? 'context' : undefined;
}

/** The Dockerfiles that are applied: not ignored, with instructions beyond FROM (or switching). */
export function dockerfilesToApply(all: GeneratedDockerfile[]): GeneratedDockerfile[] {
  return all.filter((d) => !d.ignored && d.validated.extend);
}

/** detect's decision for the run image: the last switch, and whether anything extends it. */
export function summarizeRunDockerfiles(all: GeneratedDockerfile[]): RunImageDecision {
  const live = all.filter((d) => d.kind === 'run' && !d.ignored);
  const switches = live.filter((d) => d.validated.newBase);
  const decision: RunImageDecision = { extend: live.some((d) => d.validated.extend) };
  const last = switches.at(-1)?.validated.newBase;
  if (last) decision.switchTo = last;
  return decision;
}

export function collectWarnings(all: GeneratedDockerfile[]): DockerfileWarning[] {
  return all.flatMap((d) => d.validated.warnings);
}
