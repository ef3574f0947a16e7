import { MetadataError } from './errors.js';
import { optionalString, parseToml, stringifyToml, type TomlTable } from './toml.js';

export interface RunImageTarget {
  os?: string;
  arch?: string;
  'arch-variant'?: string;
  distro?: { name?: string; version?: string };
  [key: string]: unknown;
}

/** `[run-image]` of analyzed.toml. */
export interface AnalyzedRunImage {
  /** In daemon mode the analyzer writes the daemon image ID here. */
  reference?: string;
  image?: string;
  extend?: boolean;
  target?: RunImageTarget;
  [key: string]: unknown;
}

/** analyzed.toml: `run-image` is typed, every other table is kept as it was. */
export interface Analyzed {
  runImage?: AnalyzedRunImage;
  rest: TomlTable;
}

export function parseAnalyzed(text: string, file = 'analyzed.toml'): Analyzed {
  const fail = (message: string): never => {
    throw new MetadataError('ERR_ANALYZED_INVALID', message, { file });
  };
  const { 'run-image': run, ...rest } = parseToml(text, file);
  if (run === undefined) return { rest };
  if (typeof run !== 'object' || run === null || Array.isArray(run))
    fail('"run-image" must be a table');
  const t = run as TomlTable;
  optionalString(t, 'reference', fail);
  optionalString(t, 'image', fail);
  if (t.extend !== undefined && typeof t.extend !== 'boolean')
    fail('"run-image.extend" must be a boolean');
  return { runImage: t as AnalyzedRunImage, rest };
}

export function serializeAnalyzed(analyzed: Analyzed): string {
  const doc: TomlTable = { ...analyzed.rest };
  if (analyzed.runImage) doc['run-image'] = stripUndefined(analyzed.runImage);
  return stringifyToml(doc);
}

function stripUndefined(t: Record<string, unknown>): TomlTable {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

/** What detect decided about the run image from the run.Dockerfiles (see `summarizeRunDockerfiles`). */
export interface RunImageDecision {
  /** The image the last switching run.Dockerfile names, if any. */
  switchTo?: string;
  /** Some non-ignored run.Dockerfile has instructions beyond FROM. */
  extend: boolean;
}

/**
 * Updates analyzed.toml's run image the way the lifecycle does: a switch sets image and
 * reference (the daemon image ID when `reference` is given, else the image name) and clears
 * the target; `extend` is set from the decision.
 */
export function applyRunImageDecision(
  analyzed: Analyzed,
  decision: RunImageDecision,
  resolvedReference?: string,
): Analyzed {
  const run: AnalyzedRunImage = { ...analyzed.runImage };
  if (decision.switchTo) {
    run.image = decision.switchTo;
    run.reference = resolvedReference ?? decision.switchTo;
    delete run.target;
  }
  run.extend = decision.extend || undefined;
  return { ...analyzed, runImage: run };
}

/** What of an image (as the engine inspects it) the lifecycle's run-image target is made of. */
export interface TargetSource {
  os: string;
  architecture: string;
  variant?: string | undefined;
  labels?: Record<string, string> | null | undefined;
}

/**
 * `[run-image.target]` as the lifecycle's analyzer writes it (platform.GetTargetMetadata): os,
 * arch and variant from the image config, distro and id from the `io.buildpacks.base.*` labels.
 */
export function runImageTarget(src: TargetSource): RunImageTarget {
  const labels = src.labels ?? {};
  const target: RunImageTarget = { os: src.os, arch: src.architecture };
  if (src.variant) target['arch-variant'] = src.variant;
  const name = labels['io.buildpacks.base.distro.name'];
  const version = labels['io.buildpacks.base.distro.version'];
  if (name !== undefined || version !== undefined) {
    target.distro = { name: name ?? '', version: version ?? '' };
  }
  const id = labels['io.buildpacks.base.id'];
  if (id !== undefined) target.id = id;
  return target;
}

/**
 * The analyzer's analyzed.toml with what a detector that ran beside it (reading `provisional`, the
 * run image as the analyzer writes it) changed: only the run image, as the lifecycle's generator
 * changes it: a switch replaces it (its target cleared), else an extension sets `extend`.
 */
export function withDetected(
  analyzer: Analyzed,
  provisional: Analyzed,
  detected: Analyzed,
): Analyzed {
  const before = provisional.runImage?.image;
  const after = detected.runImage;
  if (after && after.image !== before) {
    const { target: _target, ...switched } = after;
    return { ...analyzer, runImage: switched };
  }
  if (after?.extend === true) {
    return { ...analyzer, runImage: { ...analyzer.runImage, extend: true } };
  }
  return analyzer;
}
