import type { EngineClientApi } from '@imgext/engine-client';
import {
  type DockerfileKind,
  dockerfilesToApply,
  type GeneratedFs,
  type RunImageDecision,
  type RunImageMetadata,
  readGenerated,
  runImageMetadataOf,
  summarizeRunDockerfiles,
} from '@imgext/metadata';
import { type AppliedDockerfile, applyChain, type Superseded } from './apply-chain.js';
import type { BuilderKind } from './builders/dockerfile-builder.js';
import { ExtenderError } from './errors.js';
import type { ExtenderEventListener } from './events.js';
import type { RunLayoutCache } from './layout/layout-cache.js';
import type { LayoutSink } from './layout/layout-sink.js';
import { type RunLayoutResult, writeRunLayout } from './layout/write-run-layout.js';
import { nodeGeneratedFs } from './node-generated-fs.js';
import type { StepMemo } from './step-memo.js';

export type PullPolicy = 'always' | 'if-not-present' | 'never';

export interface ExtendOptions {
  engine: EngineClientApi;
  kind: DockerfileKind;
  /** detect's generated folder. */
  generatedDir: string;
  /** Decides the generated layout (< 0.13 or >= 0.13). */
  platformApi: string;
  /** Extension ids in group.toml `[[group-extensions]]` order. */
  order?: string[];
  /** The build image, or the run image as analyzed (before any switch). */
  baseImage: string;
  appDir?: string;
  /** For a run-image switch to an image the daemon lacks. Default 'if-not-present'. */
  pullPolicy?: PullPolicy;
  networkMode?: string;
  keepCache?: boolean;
  /** See ApplyChainOptions.hold. */
  hold?: string;
  /** See ApplyChainOptions.builder. */
  builder?: BuilderKind;
  /** Run kind: where to write the OCI layout for the exporter. */
  layout?: LayoutSink;
  /** Run kind: finished layouts kept on the host (see RunLayoutCache). */
  layoutCache?: RunLayoutCache;
  /** Run kind: labels of the extended image (see ApplyChainOptions.labels). */
  labels?: Record<string, string>;
  /** See ApplyChainOptions.memo. */
  memo?: StepMemo;
  fs?: GeneratedFs;
  signal?: AbortSignal;
  onEvent?: ExtenderEventListener;
}

export interface ExtendResult {
  kind: DockerfileKind;
  /** The extended image (the base itself when nothing applied). */
  imageId: string;
  /** The image the chain started from: `baseImage`, or the run image switched to. */
  baseImageId: string;
  applied: AppliedDockerfile[];
  rebasable?: boolean;
  warnings: string[];
  /** Run kind: the run image before extension (for io.buildpacks.lifecycle.metadata). */
  runImage?: RunImageMetadata;
  /** Run kind: what analyzed.toml's [run-image] must become (see applyRunImageDecision). */
  runImageDecision?: RunImageDecision;
  layout?: RunLayoutResult;
  /** Cached results this run superseded: pass the result to `retireSuperseded` when convenient. */
  superseded: Superseded[];
}

/** Reads the generated folder for one kind and applies it: the whole extender for that kind. */
export async function extend(opts: ExtendOptions): Promise<ExtendResult> {
  const { engine, kind } = opts;
  const call = opts.signal ? { signal: opts.signal } : {};
  const all = await readGenerated({
    fs: opts.fs ?? nodeGeneratedFs,
    dir: opts.generatedDir,
    kind,
    platformApi: opts.platformApi,
    ...(opts.order ? { order: opts.order } : {}),
  });
  let baseImage = opts.baseImage;
  let decision: RunImageDecision | undefined;
  if (kind === 'run') {
    decision = summarizeRunDockerfiles(all);
    if (decision.switchTo) {
      await ensureImage(engine, decision.switchTo, opts.pullPolicy ?? 'if-not-present', opts);
      opts.onEvent?.({ type: 'run-image.switch', from: baseImage, to: decision.switchTo });
      baseImage = decision.switchTo;
    }
  }
  const chain = await applyChain({
    engine,
    kind,
    dockerfiles: dockerfilesToApply(all),
    baseImage,
    switchOnly: all.filter((d) => d.kind === 'run' && !d.ignored && !d.validated.extend),
    ...pick(opts, [
      'appDir',
      'networkMode',
      'keepCache',
      'hold',
      'builder',
      'labels',
      'memo',
      'signal',
      'onEvent',
    ]),
  });
  const result: ExtendResult = {
    kind,
    imageId: chain.imageId,
    baseImageId: chain.baseImageId,
    applied: chain.applied,
    warnings: chain.warnings,
    superseded: chain.superseded,
  };
  if (chain.rebasable !== undefined && kind === 'run') result.rebasable = chain.rebasable;
  if (kind === 'run') {
    const base = await engine.images.inspect(chain.baseImageId, call);
    result.runImage = runImageMetadataOf(base);
    result.runImageDecision = decision!;
    if (opts.layout && chain.applied.length > 0) {
      result.layout = await writeRunLayout({
        engine,
        imageId: chain.imageId,
        baseLayerCount: base.RootFS.Layers?.length ?? 0,
        baseHistoryLength: chain.baseHistoryLength,
        attribution: chain.applied,
        ...(chain.rebasable === undefined ? {} : { rebasable: chain.rebasable }),
        sink: opts.layout,
        ...(opts.layoutCache ? { cache: opts.layoutCache } : {}),
        ...pick(opts, ['signal', 'onEvent']),
      });
    }
  }
  return result;
}

/** Makes sure the daemon has `ref`, pulling per policy. */
export async function ensureImage(
  engine: EngineClientApi,
  ref: string,
  policy: PullPolicy,
  opts: { signal?: AbortSignal; onEvent?: ExtenderEventListener } = {},
): Promise<void> {
  const call = opts.signal ? { signal: opts.signal } : {};
  const present = policy === 'always' ? undefined : await engine.images.find(ref, call);
  if (present) return;
  if (policy === 'never') {
    throw new ExtenderError(
      'ERR_IMAGE_MISSING',
      `image ${ref} is not in the daemon and the pull policy is "never"`,
    );
  }
  opts.onEvent?.({ type: 'run-image.pull', image: ref });
  await engine.images.pull(ref, call);
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
