/**
 * Which image runs the phases that get the daemon socket and the registry credentials (analyzer,
 * restorer, exporter). A builder is untrusted unless the caller says otherwise: then those phases
 * run in a lifecycle image, never in the builder, by default `buildpacksio/lifecycle:<the builder's
 * lifecycle version>` (as pack does). When no lifecycle image can be had, nothing is run.
 */
import { type EngineClientApi, NotFoundError } from '@imgext/engine-client';
import { defaultStepMemoDir, ensureImage, type PullPolicy, StepMemo } from '@imgext/extender';
import { BuildAppError } from './build-error.js';

export const LIFECYCLE_IMAGE_REPOSITORY = 'buildpacksio/lifecycle';

/**
 * What marks an image as holding the lifecycle: the labels of the lifecycle images
 * (`buildpacksio/lifecycle:<version>` carries both), or a builder's metadata (a builder holds
 * /cnb/lifecycle too).
 */
export const LIFECYCLE_IMAGE_LABELS = [
  'io.buildpacks.lifecycle.version',
  'io.buildpacks.lifecycle.apis',
  'io.buildpacks.builder.metadata',
] as const;

const ANALYZER = '/cnb/lifecycle/analyzer';

/**
 * Whether the image has the lifecycle's analyzer (an image made by hand need not carry the
 * labels): looked for in a container created from it, never started, removed at once. Its create
 * is not cut off by a signal (a container the engine made after all would be left).
 */
async function holdsAnalyzer(client: EngineClientApi, image: string): Promise<boolean> {
  const { Id } = await client.containers.create({
    Image: image,
    Entrypoint: [ANALYZER],
    Cmd: [],
    Labels: { 'io.imgext.probe': 'lifecycle-image' },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    const stream = await client.containers.getArchive(Id, ANALYZER);
    stream.destroy();
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  } finally {
    await client.containers.remove(Id, { force: true });
  }
}

/**
 * holdsAnalyzer, remembered per image ID beside the step memo (an image's files never change
 * under its ID): a look inside costs a container create and removal, ~30-40 ms of every build.
 * Only a yes is remembered.
 */
async function holdsAnalyzerRemembered(
  client: EngineClientApi,
  image: string,
  id: string | undefined,
): Promise<boolean> {
  const dir = id ? defaultStepMemoDir() : undefined;
  const memo = dir ? new StepMemo(dir) : undefined;
  const key = `lifecycle-image-${(id ?? '').replace(/^sha256:/, '')}`;
  if (memo && (await memo.get(key))?.imageId === id) return true;
  const holds = await holdsAnalyzer(client, image);
  if (holds && memo && id) await memo.put(key, { imageId: id, steps: 0 }).catch(() => undefined);
  return holds;
}

/** `buildpacksio/lifecycle:<version>`, the image pack uses for an untrusted builder. */
export function defaultLifecycleImage(lifecycleVersion: string): string {
  return `${LIFECYCLE_IMAGE_REPOSITORY}:${lifecycleVersion}`;
}

export interface LifecycleImageChoice {
  /** The image of the daemon-access phases; undefined: the (trusted) builder runs them. */
  image: string | undefined;
  /** 'trusted': the builder; 'given': --lifecycle-image; 'default': buildpacksio/lifecycle. */
  source: 'trusted' | 'given' | 'default';
}

export interface LifecycleImageOptions {
  builder: string;
  /** The builder's lifecycle version (its metadata label). */
  lifecycleVersion: string | undefined;
  trustBuilder: boolean;
  lifecycleImage?: string;
  pullPolicy: PullPolicy;
  signal?: AbortSignal;
}

const HINT =
  'pass --lifecycle-image IMAGE (an image holding /cnb/lifecycle), or --trust-builder if you trust the builder to get the daemon socket and registry credentials (or list it under trusted-builders in the config file)';

/** Decides, and makes sure the chosen image is in the daemon (per the pull policy). */
export async function chooseLifecycleImage(
  client: EngineClientApi,
  o: LifecycleImageOptions,
): Promise<LifecycleImageChoice> {
  if (!o.lifecycleImage && o.trustBuilder) return { image: undefined, source: 'trusted' };
  const source = o.lifecycleImage ? 'given' : 'default';
  if (!o.lifecycleImage && !o.lifecycleVersion) {
    throw new BuildAppError(
      'ERR_NO_LIFECYCLE_IMAGE',
      `builder ${o.builder} is not trusted and its metadata names no lifecycle version, so there is no default lifecycle image to run the analyzer, restorer and exporter in`,
      { hint: HINT },
    );
  }
  const image = o.lifecycleImage ?? defaultLifecycleImage(o.lifecycleVersion as string);
  try {
    await ensureImage(client, image, o.pullPolicy, o.signal ? { signal: o.signal } : {});
  } catch (err) {
    if (o.signal?.aborted) throw err;
    const why = err instanceof Error ? err.message : String(err);
    const what =
      source === 'given'
        ? `the lifecycle image ${image} (--lifecycle-image) could not be had: ${why}`
        : `builder ${o.builder} is not trusted, so the analyzer, restorer and exporter must run in the lifecycle image ${image}, which could not be had: ${why}`;
    throw new BuildAppError('ERR_NO_LIFECYCLE_IMAGE', what, { hint: HINT, cause: err });
  }
  // An image the user gave is checked before anything runs in it: one that is not a lifecycle
  // image would fail only once the analyzer's container starts (no /cnb/lifecycle/analyzer).
  if (source === 'given') {
    const found = await client.images.find(image, o.signal ? { signal: o.signal } : {});
    const labels = found?.Config?.Labels ?? {};
    if (
      !LIFECYCLE_IMAGE_LABELS.some((l) => labels[l]) &&
      !(await holdsAnalyzerRemembered(client, image, found?.Id))
    ) {
      throw new BuildAppError(
        'ERR_NOT_A_LIFECYCLE_IMAGE',
        `${image} (--lifecycle-image) is not a lifecycle image: it has no ${ANALYZER} and none of the labels ${LIFECYCLE_IMAGE_LABELS.join(', ')}`,
        {
          hint: `pass a lifecycle image as --lifecycle-image, e.g. ${LIFECYCLE_IMAGE_REPOSITORY}:<version>`,
        },
      );
    }
  }
  return { image, source };
}
