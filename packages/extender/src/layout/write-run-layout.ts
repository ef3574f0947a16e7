import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineClientApi, ImageInspect } from '@imgext/engine-client';
import { REBASABLE_LABEL } from '@imgext/metadata';
import { ExtenderError } from '../errors.js';
import type { ExtenderEventListener } from '../events.js';
import { EXCLUDED_PATHS, type FilteredLayer, filterLayer } from './layer-filter.js';
import { RunLayoutCache } from './layout-cache.js';
import type { LayoutSink } from './layout-sink.js';
import {
  type Descriptor,
  extensionHistory,
  type ImageConfigFile,
  jsonBlob,
  type Manifest,
  MEDIA_TYPES,
} from './oci.js';
import { resolveEntry, type ScanResult, scanSave, type TakeDecision } from './save-archive.js';

export interface RunLayoutOptions {
  engine: EngineClientApi;
  /** The extended run image in the daemon. */
  imageId: string;
  /** Number of layers of the run image that was extended (they are not written). */
  baseLayerCount: number;
  /** History entries of that run image; later entries are attributed to extensions. */
  baseHistoryLength: number;
  /** Extension of each history range: entries below `historyLength` (and above the previous) are its own. */
  attribution: Array<{ extension: string; historyLength: number }>;
  /** Set explicitly on the config when defined. */
  rebasable?: boolean;
  sink: LayoutSink;
  excluded?: readonly string[];
  signal?: AbortSignal;
  onEvent?: ExtenderEventListener;
  /**
   * How the daemon's save is read. 'single' (default): one read; a large entry that cannot be
   * told apart yet (the legacy format's `<id>/layer.tar`, the containerd store's blobs named by
   * their compressed digest before its manifest went by) is spooled to a temp file and kept only
   * if the save's manifest names it a new layer. 'two-pass': the earlier reader, kept as the
   * reference the single read is checked and benchmarked against: such entries are drained and
   * the save is read a second time for them.
   */
  read?: 'single' | 'two-pass';
  /**
   * Finished layouts kept on the host: when this image was laid out before with the same
   * options on the same engine, the layout is written from there and the save not read at all.
   */
  cache?: RunLayoutCache;
}

export interface RunLayoutResult {
  manifest: Descriptor;
  config: Descriptor;
  /** The new layers written, bottom to top. */
  layers: Array<FilteredLayer & { source: string }>;
  /** Bytes of layer blobs written. */
  bytes: number;
  /** 1 when the daemon's save was read once, 2 when a second read was needed. */
  passes: number;
  /** Large entries written to a temp file before the save's manifest could tell what they are. */
  spooled: number;
  /** The read stopped before the end of the save (containerd store: the rest was base layers). */
  stoppedEarly: boolean;
  /** Written from `cache` (passes is then 0). */
  cached: boolean;
}

/**
 * Writes the run-image OCI layout the exporter consumes: index.json, the manifest (listing every
 * layer), the config (rebasable label, extension history), and ONLY the new layer blobs, gzip
 * compressed, with changes under /workspace, /layers, /platform and /var/run removed. The image
 * is streamed out of `images.save` once: new layers named by their diffID (classic store's OCI
 * save, podman) or by a manifest already read (containerd store) are filtered as they stream;
 * other large entries that might be new (legacy `<id>/layer.tar`, containerd blobs before the
 * manifest) are spooled to temp files until the save's manifest.json names the layers.
 */
export async function writeRunLayout(opts: RunLayoutOptions): Promise<RunLayoutResult> {
  const call = opts.signal ? { signal: opts.signal } : {};
  const inspect = await opts.engine.images.inspect(opts.imageId, call);
  if (!opts.cache) return writeFromSave(opts, inspect, opts.sink);
  // The save's bytes follow from the image and the engine's save format: its API version and
  // storage (not /info's ID: podman makes up a new one on every call, and /info takes it 0.4 s).
  const key = RunLayoutCache.key({
    // 2: filterLayer keeps mode 000 (format 1 layouts wrote 0644/0755 for it): not replayed.
    format: 2,
    engine: [await opts.engine.apiVersion(call), inspect.GraphDriver?.Name ?? ''],
    image: inspect.Id,
    baseLayerCount: opts.baseLayerCount,
    baseHistoryLength: opts.baseHistoryLength,
    attribution: opts.attribution.map((a) => [a.extension, a.historyLength]),
    rebasable: opts.rebasable ?? null,
    excluded: opts.excluded ?? EXCLUDED_PATHS,
  });
  const hit = await opts.cache.replay<RunLayoutResult>(key, opts.sink);
  if (hit) {
    for (const l of hit.layers)
      opts.onEvent?.({ type: 'layout.layer', digest: l.digest, diffId: l.diffId, size: l.size });
    opts.onEvent?.({ type: 'layout.done', layers: hit.layers.length, bytes: hit.bytes, passes: 0 });
    return { ...hit, passes: 0, spooled: 0, stoppedEarly: false, cached: true };
  }
  const rec = await opts.cache.record<RunLayoutResult>(key, opts.sink);
  let result: RunLayoutResult;
  try {
    result = await writeFromSave(opts, inspect, rec.sink);
  } catch (err) {
    await rec.abandon();
    throw err;
  }
  // The cache is only a shortcut: failing to keep an entry does not fail the layout.
  await rec.commit(result).catch(() => rec.abandon().catch(() => undefined));
  return result;
}

async function writeFromSave(
  opts: RunLayoutOptions,
  inspect: ImageInspect,
  sink: LayoutSink,
): Promise<RunLayoutResult> {
  const { engine } = opts;
  const call = opts.signal ? { signal: opts.signal } : {};
  const allDiffIds = inspect.RootFS.Layers ?? [];
  const newDiffIds = new Set(
    allDiffIds.slice(opts.baseLayerCount).map((d) => d.replace('sha256:', '')),
  );
  const processed = new Map<string, FilteredLayer>();
  const process = async (
    name: string,
    content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ) => {
    const temp = await sink.tempPath();
    try {
      const layer = await filterLayer(content, temp, {
        excluded: opts.excluded ?? EXCLUDED_PATHS,
        ...call,
      });
      await sink.commitBlob(temp, layer.digest);
      processed.set(name, layer);
      opts.onEvent?.({
        type: 'layout.layer',
        digest: layer.digest,
        diffId: layer.diffId,
        size: layer.size,
      });
    } catch (err) {
      await sink.discard(temp);
      throw err;
    }
  };
  const single = opts.read !== 'two-pass';
  const nameHex = (name: string) =>
    /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name)?.[1] ??
    (single ? /^([0-9a-f]{64})\.tar$/.exec(name)?.[1] : undefined);
  const allHex = new Set(allDiffIds.map((d) => d.replace('sha256:', '')));
  // The containerd store names blobs by their compressed digest: its manifest, once seen, tells.
  let oci: OciManifest | undefined;
  let fromManifest: Set<string> | undefined;
  const learn = (small: ReadonlyMap<string, Buffer>) => {
    if (oci || !single) return;
    oci = ociManifestOf(small, inspect.Id, allDiffIds.length);
    if (oci) fromManifest = new Set(oci.layers.slice(opts.baseLayerCount).map((l) => blobOf(l)));
  };
  const take = (name: string, small: ReadonlyMap<string, Buffer>): TakeDecision => {
    const hex = nameHex(name);
    if (hex && newDiffIds.has(hex)) return 'take';
    if (!single) return false;
    learn(small);
    if (fromManifest) return fromManifest.has(name) ? 'take' : false;
    if (hex && allHex.has(hex)) return false;
    return 'spool';
  };
  // The containerd store streams its save as it reads it (the classic store and podman write the
  // whole archive before its first byte): once the manifest, the config and every new layer went
  // by, the rest is base layers the layout does not carry, and the read stops.
  const stop = (small: ReadonlyMap<string, Buffer>): boolean => {
    learn(small);
    return (
      oci !== undefined &&
      small.has(blobOf(oci.config)) &&
      [...fromManifest!].every((p) => processed.has(p) || small.has(p))
    );
  };
  const spooled = new Map<string, string>();
  let spoolCount = 0;
  const spool = async (name: string, content: AsyncIterable<Uint8Array>) => {
    const temp = await sink.tempPath();
    spooled.set(name, temp);
    spoolCount++;
    const hash = createHash('sha256');
    let first: number | undefined;
    await pipeline(
      content,
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          first ??= chunk[0];
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
      createWriteStream(temp),
      call,
    );
    // A plain layer tar's sha256 is its diffID: one that is not new is dropped at once.
    if (first !== 0x1f && !newDiffIds.has(hash.digest('hex'))) {
      spooled.delete(name);
      await sink.discard(temp);
    }
  };
  let scan: ScanResult;
  let passes = 1;
  let stoppedEarly = false;
  let config: ImageConfigFile;
  let layerPaths: string[];
  let newPaths: string[];
  try {
    const first = await scanSave(
      await engine.images.save([opts.imageId], call),
      take,
      process,
      spool,
      single ? stop : undefined,
    );
    scan = first;
    stoppedEarly = first.stopped;
    const read =
      first.stopped && oci
        ? {
            config: JSON.parse(scan.small.get(blobOf(oci.config))!.toString('utf8')),
            layerPaths: oci.layers.map((l) => blobOf(l)),
          }
        : readSaveManifest(scan);
    config = read.config;
    layerPaths = read.layerPaths.map((p) => resolveEntry(scan, p));
    newPaths = layerPaths.slice(opts.baseLayerCount);
    // Small new layers were kept in memory by the scan, large unidentified ones spooled.
    for (const p of newPaths) {
      if (processed.has(p)) continue;
      const buf = scan.small.get(p);
      const temp = spooled.get(p);
      if (buf) await process(p, [buf]);
      else if (temp) await process(p, createReadStream(temp));
    }
  } finally {
    for (const temp of spooled.values()) await sink.discard(temp);
  }
  if (newPaths.some((p) => !processed.has(p))) {
    const wanted = new Set(newPaths.filter((p) => !processed.has(p)));
    passes = 2;
    const second = await scanSave(
      await engine.images.save([opts.imageId], call),
      (n) => wanted.has(n),
      process,
    );
    scan = { ...scan, entries: new Map([...scan.entries, ...second.entries]) };
    const missing = newPaths.filter((p) => !processed.has(p));
    if (missing.length) {
      throw new ExtenderError(
        'ERR_LAYOUT',
        `the daemon's save of ${opts.imageId} lacks layers ${missing.join(', ')}`,
      );
    }
  }
  const layers = newPaths.map((p) => ({ ...processed.get(p)!, source: p }));
  const baseDiffIds = config.rootfs.diff_ids.slice(0, opts.baseLayerCount);
  const newConfig = rewriteConfig(config, {
    diffIds: [...baseDiffIds, ...layers.map((l) => l.diffId)],
    baseHistoryLength: opts.baseHistoryLength,
    attribution: opts.attribution,
    ...(opts.rebasable === undefined ? {} : { rebasable: opts.rebasable }),
  });
  const baseDescriptors = layerPaths.slice(0, opts.baseLayerCount).map((p, i) => {
    // A base blob the read stopped before: the save's own OCI manifest describes it.
    const listed = oci?.layers[i];
    const info =
      scan.entries.get(p) ??
      (listed && { size: listed.size, gzip: /gzip/.test(listed.mediaType ?? '') });
    const hex = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(p)?.[1];
    return {
      mediaType: info?.gzip ? MEDIA_TYPES.layerGzip : MEDIA_TYPES.layer,
      digest: hex ? `sha256:${hex}` : baseDiffIds[i]!,
      size: info?.size ?? 0,
    };
  });
  const cfg = jsonBlob(newConfig);
  await sink.writeFile(`blobs/sha256/${cfg.digest.slice(7)}`, cfg.buf);
  const configDesc: Descriptor = {
    mediaType: MEDIA_TYPES.config,
    digest: cfg.digest,
    size: cfg.size,
  };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: configDesc,
    layers: [
      ...baseDescriptors,
      ...layers.map((l) => ({ mediaType: MEDIA_TYPES.layerGzip, digest: l.digest, size: l.size })),
    ],
  };
  const man = jsonBlob(manifest);
  await sink.writeFile(`blobs/sha256/${man.digest.slice(7)}`, man.buf);
  const manifestDesc: Descriptor = {
    mediaType: MEDIA_TYPES.manifest,
    digest: man.digest,
    size: man.size,
  };
  await sink.writeFile(
    'index.json',
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [manifestDesc] }),
    ),
  );
  await sink.writeFile('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const bytes = layers.reduce((n, l) => n + l.size, 0);
  opts.onEvent?.({ type: 'layout.done', layers: layers.length, bytes, passes });
  return {
    manifest: manifestDesc,
    config: configDesc,
    layers,
    bytes,
    passes,
    spooled: spoolCount,
    stoppedEarly,
    cached: false,
  };
}

interface OciManifest {
  config: Descriptor;
  layers: Descriptor[];
}

const blobOf = (d: Pick<Descriptor, 'digest'>) => `blobs/sha256/${d.digest.replace('sha256:', '')}`;

/**
 * The image's OCI manifest (or the one the index names) when the scan has already seen it:
 * `imageId` is the manifest's or index's digest on the containerd store. Undefined while it has
 * not been seen, on a store where it is not a blob, or when an index names several candidates.
 */
function ociManifestOf(
  small: ReadonlyMap<string, Buffer>,
  imageId: string,
  layerCount: number,
): OciManifest | undefined {
  const parse = (digest: string): Partial<OciManifest> & { manifests?: Descriptor[] } => {
    const buf = small.get(blobOf({ digest }));
    if (!buf) return {};
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch {
      return {};
    }
  };
  const top = parse(imageId);
  const candidates = top.manifests ? top.manifests.map((m) => parse(m.digest)) : [top];
  const matching = candidates.filter((m) => m.config?.digest && m.layers?.length === layerCount);
  return matching.length === 1 ? (matching[0] as OciManifest) : undefined;
}

/** Docker's manifest.json (present in every save format) names the config and the layers in order. */
function readSaveManifest(scan: ScanResult): { config: ImageConfigFile; layerPaths: string[] } {
  const raw = scan.small.get('manifest.json');
  if (!raw) throw new ExtenderError('ERR_LAYOUT', 'the daemon save has no manifest.json');
  const [entry] = JSON.parse(raw.toString('utf8')) as Array<{ Config: string; Layers: string[] }>;
  const configBuf = entry && scan.small.get(entry.Config);
  if (!entry || !configBuf)
    throw new ExtenderError('ERR_LAYOUT', 'the daemon save has no image config');
  return {
    config: JSON.parse(configBuf.toString('utf8')) as ImageConfigFile,
    layerPaths: entry.Layers,
  };
}

function rewriteConfig(
  config: ImageConfigFile,
  o: {
    diffIds: string[];
    baseHistoryLength: number;
    attribution: Array<{ extension: string; historyLength: number }>;
    rebasable?: boolean;
  },
): ImageConfigFile {
  const history = (config.history ?? []).map((h, i) => {
    if (i < o.baseHistoryLength || h.empty_layer) return h;
    const ext = o.attribution.find((a) => i < a.historyLength)?.extension ?? 'from extensions';
    return { ...h, created_by: extensionHistory(h.created_by ?? '', ext) };
  });
  const inner = { ...config.config };
  if (o.rebasable !== undefined)
    inner.Labels = { ...inner.Labels, [REBASABLE_LABEL]: String(o.rebasable) };
  return { ...config, config: inner, rootfs: { ...config.rootfs, diff_ids: o.diffIds }, history };
}
