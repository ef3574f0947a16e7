/**
 * What a built app image says about itself, from its config labels and layer history alone (pure:
 * the caller reads them from the daemon or a registry): the run image it stands on, buildpacks,
 * extensions and their kinds, processes, and whether it is rebasable — and if not, which
 * extension's run.Dockerfile made it so. `imgext inspect` renders this.
 */

import { REBASABLE_LABEL } from './dockerfile-rules.js';
import { MetadataError } from './errors.js';
import {
  type ExtensionKind,
  type ExtensionRecord,
  parseExtensionsLabel,
} from './extensions-label.js';
import { LIFECYCLE_METADATA_LABEL } from './labels.js';

export const BUILD_METADATA_LABEL = 'io.buildpacks.build.metadata';
export const STACK_ID_LABEL = 'io.buildpacks.stack.id';

export interface AppImageProcess {
  type: string;
  command: string[];
  args: string[];
  direct: boolean;
  workingDir?: string;
  buildpackId?: string;
  /** The image's default process (buildpack-default-process-type). */
  default: boolean;
}

export interface AppImageExtension {
  id: string;
  version?: string;
  /** What its Dockerfiles did (from io.imgext.extensions; else the history's run extensions). */
  kinds: ExtensionKind[];
  /** Run kind: its run.Dockerfile declares io.buildpacks.rebasable=true. */
  rebasable?: boolean;
}

export interface AppImageMetadata {
  /** The run image the app stands on (the original run image, below any extension layers). */
  runImage: {
    /** The run image name recorded at export. */
    image?: string;
    /** Its digest or image ID. */
    reference?: string;
    /** Its top layer's diffID: rebase replaces everything up to it. */
    topLayer?: string;
    mirrors: string[];
  };
  stackId?: string;
  buildpacks: Array<{ id: string; version?: string; homepage?: string }>;
  extensions: AppImageExtension[];
  processes: AppImageProcess[];
  /** The launcher's (and so the lifecycle's) version. */
  lifecycleVersion?: string;
  /** io.buildpacks.rebasable; absent means rebasable (the lifecycle's default). */
  rebasable: boolean;
  /** When not rebasable: the run extensions whose Dockerfile did not declare itself rebasable. */
  notRebasableBecause: string[];
  /** The image records what imgext's build knew (io.imgext.extensions). */
  recordedByImgext: boolean;
}

type Labels = Record<string, string> | null | undefined;

function json(labels: Labels, key: string): Record<string, unknown> | undefined {
  const raw = labels?.[key];
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch (err) {
    throw new MetadataError('ERR_LABEL_INVALID', `label ${key} is not valid JSON`, { cause: err });
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const objs = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : [];

const EXTENSION_HISTORY = /Created by extension: (\S+)/;

/** The extensions the layer history names (run Dockerfiles' layers), in order, once each. */
export function extensionsInHistory(createdBy: string[]): string[] {
  const out: string[] = [];
  for (const line of createdBy) {
    const id = EXTENSION_HISTORY.exec(line)?.[1];
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * Reads an app image's metadata. `history` is each layer's created_by, oldest first.
 * Throws ERR_LABEL_INVALID when the image is not a buildpacks app image.
 */
export function parseAppImage(labels: Labels, history: string[] = []): AppImageMetadata {
  const lifecycle = json(labels, LIFECYCLE_METADATA_LABEL);
  if (!lifecycle) {
    throw new MetadataError(
      'ERR_LABEL_INVALID',
      `the image has no ${LIFECYCLE_METADATA_LABEL} label: it was not built by a buildpacks lifecycle`,
    );
  }
  const build = json(labels, BUILD_METADATA_LABEL) ?? {};
  const run = (lifecycle.runImage ?? {}) as Record<string, unknown>;
  const stackRun = ((lifecycle.stack as Record<string, unknown> | undefined)?.runImage ??
    {}) as Record<string, unknown>;
  const runImage: AppImageMetadata['runImage'] = {
    mirrors: strs(stackRun.mirrors ?? run.mirrors),
  };
  const image = str(run.image) ?? str(stackRun.image);
  if (image) runImage.image = image;
  if (str(run.reference)) runImage.reference = str(run.reference) as string;
  if (str(run.topLayer)) runImage.topLayer = str(run.topLayer) as string;

  const buildpacks = objs(build.buildpacks).flatMap((b) => {
    const id = str(b.id);
    if (!id) return [];
    const out: { id: string; version?: string; homepage?: string } = { id };
    if (str(b.version)) out.version = str(b.version) as string;
    if (str(b.homepage)) out.homepage = str(b.homepage) as string;
    return [out];
  });

  const recorded = parseExtensionsLabel(labels);
  const inHistory = extensionsInHistory(history);
  const byId = new Map<string, ExtensionRecord>(recorded?.map((r) => [r.id, r]) ?? []);
  const listed = objs(build.extensions).flatMap((e) => (str(e.id) ? [e] : []));
  const extensions: AppImageExtension[] = listed.map((e) => {
    const id = str(e.id) as string;
    const r = byId.get(id);
    const out: AppImageExtension = {
      id,
      kinds: r ? r.kinds : inHistory.includes(id) ? ['run'] : [],
    };
    const version = str(e.version) ?? r?.version;
    if (version) out.version = version;
    if (r?.rebasable !== undefined) out.rebasable = r.rebasable;
    return out;
  });
  for (const r of recorded ?? []) {
    if (!extensions.some((e) => e.id === r.id)) extensions.push({ ...r });
  }

  const defaultType = str(build['buildpack-default-process-type']);
  const processes = objs(build.processes).flatMap((p): AppImageProcess[] => {
    const type = str(p.type);
    if (!type) return [];
    const out: AppImageProcess = {
      type,
      command: Array.isArray(p.command)
        ? strs(p.command)
        : str(p.command)
          ? [p.command as string]
          : [],
      args: strs(p.args),
      direct: p.direct === true,
      default: type === defaultType,
    };
    if (str(p['working-dir'])) out.workingDir = str(p['working-dir']) as string;
    if (str(p.buildpackID)) out.buildpackId = str(p.buildpackID) as string;
    return [out];
  });

  const rebasable = labels?.[REBASABLE_LABEL] !== 'false';
  const notRebasableBecause = rebasable
    ? []
    : extensions.filter((e) => e.kinds.includes('run') && e.rebasable !== true).map((e) => e.id);
  const md: AppImageMetadata = {
    runImage,
    buildpacks,
    extensions,
    processes,
    rebasable,
    notRebasableBecause,
    recordedByImgext: recorded !== undefined,
  };
  const stackId = labels?.[STACK_ID_LABEL];
  if (stackId) md.stackId = stackId;
  const launcher = (build.launcher ?? {}) as Record<string, unknown>;
  if (str(launcher.version)) md.lifecycleVersion = str(launcher.version) as string;
  return md;
}
