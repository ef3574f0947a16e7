/**
 * Everything a builder image's labels say, for `imgext builder inspect`: its metadata
 * (io.buildpacks.builder.metadata), the buildpack order, the extension order — under pack's
 * `io.buildpacks.buildpack.order-extensions` or the older `io.buildpacks.extension.order`
 * (both are read; which one is reported) — and the stack id.
 */
import { MetadataError } from './errors.js';
import { BUILDER_METADATA_LABEL, parseBuilderMetadata } from './labels.js';
import { negotiatePlatformApi } from './platform-api.js';

export const BUILDPACK_ORDER_LABEL = 'io.buildpacks.buildpack.order';
export const ORDER_EXTENSIONS_LABEL = 'io.buildpacks.buildpack.order-extensions';
export const LEGACY_EXTENSION_ORDER_LABEL = 'io.buildpacks.extension.order';

export interface OrderEntry {
  id: string;
  version?: string;
  optional: boolean;
}

export interface ApiSet {
  supported: string[];
  deprecated: string[];
}

export interface BuilderDescription {
  description?: string;
  createdBy?: { name?: string; version?: string };
  stackId?: string;
  runImages: Array<{ image: string; mirrors: string[] }>;
  buildpacks: Array<{ id: string; version?: string; homepage?: string }>;
  extensions: Array<{ id: string; version?: string; homepage?: string }>;
  /** Detection order: groups of buildpacks. */
  order: OrderEntry[][];
  /** Detection order of the extensions: groups. */
  orderExtensions: OrderEntry[][];
  /** The label the extension order was read from (undefined without one). */
  orderExtensionsLabel?: string;
  lifecycle: { version?: string; platformApis: ApiSet; buildpackApis: ApiSet };
  /** The platform API imgext would drive this builder's lifecycle with. */
  platformApi?: string;
  /** Why there is none (no API in common). */
  platformApiError?: string;
}

type Labels = Record<string, string> | null | undefined;

function json(labels: Labels, key: string): unknown {
  const raw = labels?.[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new MetadataError('ERR_LABEL_INVALID', `label ${key} is not valid JSON`, { cause: err });
  }
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function parseOrder(value: unknown): OrderEntry[][] {
  if (!Array.isArray(value)) return [];
  return value.map((g) =>
    (Array.isArray(g?.group) ? g.group : []).flatMap((e: Record<string, unknown>) => {
      const id = str(e?.id);
      if (!id) return [];
      const out: OrderEntry = { id, optional: e.optional === true };
      if (str(e.version)) out.version = str(e.version) as string;
      return [out];
    }),
  );
}

function refs(v: unknown): Array<{ id: string; version?: string; homepage?: string }> {
  if (!Array.isArray(v)) return [];
  return v.flatMap((b: Record<string, unknown>) => {
    const id = str(b?.id);
    if (!id) return [];
    const out: { id: string; version?: string; homepage?: string } = { id };
    if (str(b.version)) out.version = str(b.version) as string;
    if (str(b.homepage)) out.homepage = str(b.homepage) as string;
    return [out];
  });
}

function apiSet(v: unknown, legacy: unknown): ApiSet {
  const o = (v ?? {}) as { supported?: unknown; deprecated?: unknown };
  const supported = strs(o.supported);
  return {
    supported: supported.length ? supported : str(legacy) ? [legacy as string] : [],
    deprecated: strs(o.deprecated),
  };
}

/** Reads a builder's labels; throws ERR_LABEL_INVALID when it has no builder metadata. */
export function describeBuilder(labels: Labels): BuilderDescription {
  const md = parseBuilderMetadata(labels);
  const raw = json(labels, BUILDER_METADATA_LABEL) as Record<string, unknown>;
  const lc = (raw.lifecycle ?? {}) as {
    api?: { buildpack?: string; platform?: string };
    apis?: { buildpack?: unknown; platform?: unknown };
  };
  const out: BuilderDescription = {
    runImages: md.runImages,
    buildpacks: refs(raw.buildpacks),
    extensions: refs(raw.extensions),
    order: parseOrder(json(labels, BUILDPACK_ORDER_LABEL)),
    orderExtensions: [],
    lifecycle: {
      platformApis: apiSet(lc.apis?.platform, lc.api?.platform),
      buildpackApis: apiSet(lc.apis?.buildpack, lc.api?.buildpack),
    },
  };
  for (const key of [ORDER_EXTENSIONS_LABEL, LEGACY_EXTENSION_ORDER_LABEL]) {
    const order = labels?.[key] ? json(labels, key) : undefined;
    if (order !== undefined) {
      out.orderExtensions = parseOrder(order);
      out.orderExtensionsLabel = key;
      break;
    }
  }
  if (md.description) out.description = md.description;
  const createdBy = raw.createdBy as { name?: unknown; version?: unknown } | undefined;
  if (createdBy && typeof createdBy === 'object') {
    out.createdBy = {};
    if (str(createdBy.name)) out.createdBy.name = str(createdBy.name) as string;
    if (str(createdBy.version)) out.createdBy.version = str(createdBy.version) as string;
  }
  const stackId = labels?.['io.buildpacks.stack.id'];
  if (stackId) out.stackId = stackId;
  if (md.lifecycleVersion) out.lifecycle.version = md.lifecycleVersion;
  try {
    out.platformApi = negotiatePlatformApi(md.platformApis);
  } catch (err) {
    out.platformApiError = (err as Error).message;
  }
  return out;
}
