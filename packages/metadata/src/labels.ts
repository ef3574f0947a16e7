import { MetadataError } from './errors.js';

export const LIFECYCLE_METADATA_LABEL = 'io.buildpacks.lifecycle.metadata';
export const BUILDER_METADATA_LABEL = 'io.buildpacks.builder.metadata';

/** The part of `io.buildpacks.lifecycle.metadata` that rebase depends on. */
export interface RunImageMetadata {
  /** Top layer diffID of the ORIGINAL run image (before extension). */
  topLayer: string;
  /** The original run image (reference or image ID). */
  reference: string;
}

/** What the exporter must record for a run image: its top layer and reference, from its inspect data. */
export function runImageMetadataOf(
  image: { Id: string; RootFS: { Layers?: string[] } },
  reference?: string,
): RunImageMetadata {
  const topLayer = image.RootFS.Layers?.at(-1);
  if (!topLayer) {
    throw new MetadataError(
      'ERR_LABEL_INVALID',
      `run image ${reference ?? image.Id} has no layers`,
    );
  }
  return { topLayer, reference: reference ?? image.Id };
}

function parseJsonLabel(labels: Record<string, string> | null | undefined, key: string): unknown {
  const raw = labels?.[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new MetadataError('ERR_LABEL_INVALID', `label ${key} is not valid JSON`, { cause: err });
  }
}

/** `runImage` of an image's `io.buildpacks.lifecycle.metadata` label, if present. */
export function readLifecycleRunImage(
  labels: Record<string, string> | null | undefined,
): Partial<RunImageMetadata> | undefined {
  const md = parseJsonLabel(labels, LIFECYCLE_METADATA_LABEL) as
    | { runImage?: { topLayer?: string; reference?: string } }
    | undefined;
  if (!md?.runImage) return undefined;
  const out: Partial<RunImageMetadata> = {};
  if (md.runImage.topLayer) out.topLayer = md.runImage.topLayer;
  if (md.runImage.reference) out.reference = md.runImage.reference;
  return out;
}

export interface BuilderMetadata {
  description?: string;
  lifecycleVersion?: string;
  /** Supported platform APIs of the builder's lifecycle (supported + deprecated). */
  platformApis: string[];
  buildpackApis: string[];
  /** Run images, the first is the default. */
  runImages: Array<{ image: string; mirrors: string[] }>;
  buildpacks: Array<{ id: string; version?: string }>;
  extensions: Array<{ id: string; version?: string }>;
}

interface RawApis {
  deprecated?: string[] | null;
  supported?: string[] | null;
}
interface RawBuilderMetadata {
  description?: string;
  stack?: { runImage?: { image?: string; mirrors?: string[] } };
  images?: Array<{ image?: string; mirrors?: string[] }>;
  buildpacks?: Array<{ id?: string; version?: string }>;
  extensions?: Array<{ id?: string; version?: string }>;
  lifecycle?: {
    version?: string;
    api?: { buildpack?: string; platform?: string };
    apis?: { buildpack?: RawApis; platform?: RawApis };
  };
}

/** Parses `io.buildpacks.builder.metadata` (both the `apis` and the legacy `api` forms). */
export function parseBuilderMetadata(
  labels: Record<string, string> | null | undefined,
): BuilderMetadata {
  const raw = parseJsonLabel(labels, BUILDER_METADATA_LABEL) as RawBuilderMetadata | undefined;
  if (!raw || typeof raw !== 'object') {
    throw new MetadataError('ERR_LABEL_INVALID', `label ${BUILDER_METADATA_LABEL} is missing`);
  }
  const apis = (list: RawApis | undefined, legacy: string | undefined) => {
    const all = [...(list?.supported ?? []), ...(list?.deprecated ?? [])];
    return all.length ? [...new Set(all)] : legacy ? [legacy] : [];
  };
  const runImages = (raw.images ?? []).flatMap((i) =>
    i.image ? [{ image: i.image, mirrors: i.mirrors ?? [] }] : [],
  );
  const stackRun = raw.stack?.runImage;
  if (runImages.length === 0 && stackRun?.image) {
    runImages.push({ image: stackRun.image, mirrors: stackRun.mirrors ?? [] });
  }
  const refs = (list: Array<{ id?: string; version?: string }> | undefined) =>
    (list ?? []).flatMap((b) =>
      b.id ? [{ id: b.id, ...(b.version ? { version: b.version } : {}) }] : [],
    );
  const md: BuilderMetadata = {
    platformApis: apis(raw.lifecycle?.apis?.platform, raw.lifecycle?.api?.platform),
    buildpackApis: apis(raw.lifecycle?.apis?.buildpack, raw.lifecycle?.api?.buildpack),
    runImages,
    buildpacks: refs(raw.buildpacks),
    extensions: refs(raw.extensions),
  };
  if (raw.description) md.description = raw.description;
  if (raw.lifecycle?.version) md.lifecycleVersion = raw.lifecycle.version;
  return md;
}
