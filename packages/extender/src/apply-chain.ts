import { randomUUID } from 'node:crypto';
import type { EngineClientApi } from '@imgext/engine-client';
import {
  argNames,
  BASE_IMAGE_ARG,
  BASE_IMAGE_REF,
  type DockerfileKind,
  type GeneratedDockerfile,
  isRootUser,
  REBASABLE_LABEL,
  rebasableAfter,
  userArgs,
} from '@imgext/metadata';
import { buildkitBuilder } from './builders/buildkit-builder.js';
import { classicBuilder } from './builders/classic-builder.js';
import type { BuilderKind, DockerfileBuildResult } from './builders/dockerfile-builder.js';
import { cacheTag } from './cache-tags.js';
import { ExtenderError } from './errors.js';
import type { ExtenderEventListener } from './events.js';
import { holdTag } from './hold.js';
import { StepMemo, selfContained } from './step-memo.js';

export interface ApplyChainOptions {
  engine: EngineClientApi;
  kind: DockerfileKind;
  /** The Dockerfiles to apply, in order (see `dockerfilesToApply`). */
  dockerfiles: GeneratedDockerfile[];
  /** The image the first Dockerfile extends (reference or ID). */
  baseImage: string;
  /**
   * Run kind: the live switch-only run.Dockerfiles (a bare `FROM other`). They add nothing to
   * apply, but the lifecycle's extender applies them too, so the rebasable rule counts them.
   */
  switchOnly?: GeneratedDockerfile[];
  /** The app directory: the context of Dockerfiles without a context dir of their own. */
  appDir?: string;
  /** Network of RUN steps: 'host' (default, like kaniko in the lifecycle container) or 'none'. */
  networkMode?: string;
  /**
   * Tag each intermediate image under imgext.local/cache/ and keep the step images the daemon
   * committed as its build cache (default true). false: only each Dockerfile's result remains.
   */
  keepCache?: boolean;
  /**
   * A hold repository (see `holdRepository`): every image the chain builds is also tagged under
   * it, so that a concurrent build moving the cache tags cannot remove it before the caller is
   * done; the caller ends the hold with `releaseHold`.
   */
  hold?: string;
  /**
   * The daemon builder that applies the Dockerfiles (see `chooseBuilder`). Default 'classic'.
   */
  builder?: BuilderKind;
  /** Fresh per build; default crypto.randomUUID. */
  buildId?: () => string;
  /** Run kind: labels of the final image (e.g. imgext's io.imgext.extensions record). */
  labels?: Record<string, string>;
  /**
   * Steps remembered on the host (see StepMemo): an unchanged Dockerfile whose cache tag still
   * names the image it gave is reused without a build. Needs keepCache.
   */
  memo?: StepMemo;
  signal?: AbortSignal;
  onEvent?: ExtenderEventListener;
}

export interface AppliedDockerfile {
  extension: string;
  dockerfile: string;
  imageId: string;
  /** Run kind: history entries of the image after this Dockerfile (layer attribution); 0 for build. */
  historyLength: number;
  cacheHits: number;
  steps: number;
}

export interface ChainResult {
  kind: DockerfileKind;
  /** The final image (the base when nothing was applied). */
  imageId: string;
  baseImageId: string;
  baseHistoryLength: number;
  applied: AppliedDockerfile[];
  /** The AND rule over the applied Dockerfiles; undefined when none was applied. */
  rebasable?: boolean;
  /** The final image's config User. */
  user: string;
  warnings: string[];
  /**
   * Cached results this run's cache tags moved away from: nothing will build on them again.
   * `retireSuperseded` removes them, off the critical path (e.g. while the build phase runs).
   */
  superseded: Superseded[];
}

/** A cache tag moved on: the image it held, and the later Dockerfiles' cached results on it. */
export interface Superseded {
  kind: DockerfileKind;
  /** The image the tag held before. */
  imageId: string;
  /** The extensions after it in the chain, whose cache tags name it (then each other) as base. */
  later: string[];
}

/**
 * Applies Dockerfiles one after the other through the daemon's build API: `base_image` is the
 * previous result, `build_id` a fresh UUID, `user_id`/`group_id` come from the current image's
 * User, then the extension's own args. The run kind gets `io.buildpacks.rebasable` set
 * explicitly on its final image, and must not end as root.
 */
export async function applyChain(opts: ApplyChainOptions): Promise<ChainResult> {
  const { engine, kind, signal } = opts;
  const call = signal ? { signal } : {};
  const emit = opts.onEvent ?? (() => {});
  const builder = opts.builder === 'buildkit' ? buildkitBuilder : classicBuilder;
  const base = await engine.images.inspect(opts.baseImage, call);
  // History lengths attribute layers to extensions in the run layout; the build kind skips them.
  const historyLength = async (id: string) =>
    kind === 'run' ? (await engine.images.history(id, call)).length : 0;
  const baseHistoryLength = await historyLength(base.Id);
  const rebasable =
    opts.dockerfiles.length > 0
      ? rebasableAfter([...(opts.switchOnly ?? []), ...opts.dockerfiles].map((d) => d.validated))
      : undefined;
  const warnings: string[] = [];
  const warn = (message: string, extension?: string, line?: number) => {
    warnings.push(message);
    emit({
      type: 'warning',
      message,
      ...(extension ? { extension } : {}),
      ...(line ? { line } : {}),
    });
  };
  for (const d of opts.dockerfiles) {
    for (const w of d.validated.warnings)
      warn(`extension ${d.extensionId}: ${w.message}`, d.extensionId, w.line);
  }
  let current = base;
  const applied: AppliedDockerfile[] = [];
  const superseded: Superseded[] = [];
  for (const [index, d] of opts.dockerfiles.entries()) {
    signal?.throwIfAborted();
    const last = index === opts.dockerfiles.length - 1;
    emit({
      type: 'extension.start',
      kind,
      extension: d.extensionId,
      dockerfile: d.path,
      baseImage: current.Id,
    });
    const buildArgs: Record<string, string> = {
      build_id: (opts.buildId ?? randomUUID)(),
      ...userArgs(current.Config?.User),
    };
    for (const a of d.args) buildArgs[a.name] = a.value;
    const dir = d.validated.readsContext ? (d.contextDir ?? opts.appDir) : undefined;
    if (d.validated.readsContext && !dir) {
      throw new ExtenderError(
        'ERR_EXTENSION_BUILD_FAILED',
        `extension ${d.extensionId}: ${d.path} copies from its context, but there is no context dir and no app dir`,
        { extension: d.extensionId, dockerfile: d.path },
      );
    }
    const keepCache = opts.keepCache !== false;
    const cacheRef = keepCache ? cacheTag(kind, d.extensionId, current.Id) : undefined;
    const tags = [
      ...(cacheRef ? [cacheRef] : []),
      ...(opts.hold ? [holdTag(opts.hold, kind, index)] : []),
    ];
    const labels =
      kind === 'run' && last && rebasable !== undefined
        ? { ...opts.labels, [REBASABLE_LABEL]: String(rebasable) }
        : undefined;
    // Read while the build runs: the tag only moves when the build ends.
    const previous = cacheRef
      ? engine.images.find(cacheRef, call).catch(() => undefined)
      : Promise.resolve(undefined);
    const text = sentText(d);
    const networkMode = opts.networkMode ?? 'host';
    const memoKey =
      opts.memo && cacheRef && selfContained(d.validated.parsed.stages, text)
        ? await StepMemo.key({
            kind,
            extension: d.extensionId,
            text,
            buildArgs,
            ...(labels ? { labels } : {}),
            builder: opts.builder ?? 'classic',
            networkMode,
            baseImageId: current.Id,
            ...(dir ? { contextDir: dir } : {}),
          })
        : undefined;
    const reused = memoKey
      ? await reuseStep(opts, memoKey, previous, holdTagOf(opts.hold, kind, index))
      : undefined;
    const result: DockerfileBuildResult =
      reused ??
      (await builder.build({
        engine,
        kind,
        dockerfile: d,
        text,
        injectedBaseArg: injectsBaseArg(d),
        ...(dir ? { dir } : {}),
        baseImageId: current.Id,
        index,
        buildArgs,
        tags,
        ...(labels ? { labels } : {}),
        networkMode,
        ...fromRegistries(d),
        keepCache,
        ...(opts.hold ? { hold: opts.hold } : {}),
        emit,
        ...call,
      }));
    if (memoKey && !reused) {
      // A hint for the next build; one that cannot be written only costs that build a check.
      await opts.memo
        ?.put(memoKey, { imageId: result.imageId, steps: result.steps })
        .catch(() => undefined);
    }
    current = result.image ?? (await engine.images.inspect(result.imageId, call));
    const before = await previous;
    if (before && before.Id !== current.Id) {
      superseded.push({
        kind,
        imageId: before.Id,
        later: opts.dockerfiles.slice(index + 1).map((l) => l.extensionId),
      });
    }
    applied.push({
      extension: d.extensionId,
      dockerfile: d.path,
      imageId: current.Id,
      historyLength: await historyLength(current.Id),
      cacheHits: result.cacheHits,
      steps: result.steps,
    });
    emit({
      type: 'extension.applied',
      kind,
      extension: d.extensionId,
      imageId: current.Id,
      cacheHits: result.cacheHits,
      steps: result.steps,
    });
  }
  const user = current.Config?.User ?? '';
  if (applied.length > 0 && isRootUser(user)) {
    const lastExt = applied.at(-1)!.extension;
    const message = `the extended ${kind} image ends as root (User "${user}"): an extension must reset USER to the CNB user`;
    if (kind === 'run') {
      throw new ExtenderError('ERR_RUN_IMAGE_ROOT', `extension ${lastExt}: ${message}`, {
        extension: lastExt,
      });
    }
    warn(message, lastExt);
  }
  const out: ChainResult = {
    kind,
    imageId: current.Id,
    baseImageId: base.Id,
    baseHistoryLength,
    applied,
    user,
    warnings,
    superseded,
  };
  if (rebasable !== undefined) out.rebasable = rebasable;
  return out;
}

/** The hold tag of a step as repository and tag, when the chain holds its images. */
function holdTagOf(
  hold: string | undefined,
  kind: string,
  index: number,
): { repo: string; tag: string } | undefined {
  if (!hold) return undefined;
  const ref = holdTag(hold, kind, index);
  const at = ref.lastIndexOf(':');
  return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
}

/**
 * A remembered step's image, when the step's cache tag still names it: held (tagged under the
 * build's hold, as a build of it would have been) and returned as a build result whose every
 * step was a cache hit. Undefined, and the entry forgotten, when the tag names another image or
 * none; undefined when it cannot be held (it went meanwhile): the step is then built.
 */
async function reuseStep(
  opts: ApplyChainOptions,
  key: string,
  cacheTagged: ReturnType<EngineClientApi['images']['find']>,
  hold: { repo: string; tag: string } | undefined,
): Promise<DockerfileBuildResult | undefined> {
  const remembered = await opts.memo?.get(key);
  if (!remembered) return undefined;
  const tagged = await cacheTagged;
  if (tagged?.Id !== remembered.imageId) {
    await opts.memo?.forget(key).catch(() => undefined);
    return undefined;
  }
  if (hold) {
    opts.signal?.throwIfAborted();
    // Not under the signal: a tag request given up on the client may still be carried out, and
    // the hold is released by listing its repository, after this returns.
    const held = await opts.engine.images.tag(remembered.imageId, hold.repo, hold.tag).then(
      () => true,
      () => false,
    );
    if (!held) return undefined;
  }
  return {
    imageId: remembered.imageId,
    cacheHits: remembered.steps,
    steps: remembered.steps,
    image: tagged,
  };
}

/**
 * The registries a Dockerfile pulls from, when they are known: its FROM images other than
 * `${base_image}` (a local image ID). Only their credential helpers run for the build; a FROM
 * naming another build arg is not known, and every credential is sent.
 */
function fromRegistries(d: GeneratedDockerfile): { registries?: string[] } {
  const names = d.validated.parsed.stages
    .map((stage) => stage.baseName)
    .filter((name) => name !== BASE_IMAGE_REF && name !== `$${BASE_IMAGE_ARG}`);
  return names.some((name) => name.includes('$')) ? {} : { registries: names };
}

/**
 * The Dockerfile as sent. A run.Dockerfile may use `FROM ${base_image}` without declaring
 * `ARG base_image` (kaniko resolves build args in FROM regardless; the classic builder only
 * resolves declared meta args), so the declaration is prepended when missing.
 */
function sentText(d: GeneratedDockerfile): string {
  return injectsBaseArg(d) ? `ARG ${BASE_IMAGE_ARG}\n${d.text}` : d.text;
}

function injectsBaseArg(d: GeneratedDockerfile): boolean {
  return !d.validated.parsed.metaArgs.some((a) => argNames(a).includes(BASE_IMAGE_ARG));
}
