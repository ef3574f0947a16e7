/**
 * Rebase: puts an app image on a new run image, keeping the app and extension layers. Against a
 * registry it runs the lifecycle's own rebaser (in a lifecycle image, like the other daemon-access
 * phases, never in a builder). In the daemon the lifecycle's rebaser fails here (see
 * daemon-rebase.ts), so imgext rebases there itself, by the same rules. The run image's extent is
 * `runImage.topLayer` of io.buildpacks.lifecycle.metadata: imgext records the ORIGINAL run image's
 * top layer there, so the run extensions' layers count as the app's and stay above the new base.
 * Before anything runs, imgext reads the image and refuses one marked io.buildpacks.rebasable=false
 * (unless `force`), naming the extensions whose run.Dockerfile made it so.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { ensureImage, type PullPolicy } from '@imgext/extender';
import {
  daemonSocketFor,
  type LifecycleEvent,
  LifecycleSession,
  rebaserArgs,
} from '@imgext/lifecycle';
import { negotiatePlatformApi } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';
import { rebaseInDaemon } from './daemon-rebase.js';
import { type ImageInspection, inspectImage } from './inspect.js';
import { chooseLifecycleImage } from './lifecycle-image.js';
import { registryAuthEnv } from './registry-auth-env.js';

export interface RebaseOptions {
  /** The image to write (and to rebase, unless `previousImage`). */
  image: string;
  /** Rebase this image and write the result as `image`. */
  previousImage?: string;
  /** The new run image; default: the run image the app image records (its newest version). */
  runImage?: string;
  /** In a registry instead of the daemon. */
  publish?: boolean;
  /** Rebase though io.buildpacks.rebasable is false. */
  force?: boolean;
  /** For the run image (daemon) and the lifecycle image. Default 'if-not-present'. */
  pullPolicy?: PullPolicy;
  /** The rebaser's image (with publish); default buildpacksio/lifecycle:<the image's lifecycle version>. */
  lifecycleImage?: string;
  daemonSocket?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export type RebaseEvent =
  | {
      type: 'rebase-start';
      image: string;
      from: string;
      runImage: string | undefined;
      /** The rebaser's image (registry); undefined: imgext rebases in the daemon itself. */
      lifecycleImage: string | undefined;
      forced: boolean;
    }
  | { type: 'lifecycle'; event: LifecycleEvent };

export interface RebaseSummary {
  image: string;
  /** The image that was rebased. */
  from: string;
  forced: boolean;
  /** The new image's ID (daemon) or config digest (registry). */
  id: string;
  /** The pushed manifest digest (registry). */
  digest?: string;
  /** The run image before and after. */
  previousRunImage: ImageInspection['runImage'];
  runImage: ImageInspection['runImage'];
  rebasable: boolean;
  durationMs: number;
}

const LIFECYCLE_APIS_LABEL = 'io.buildpacks.lifecycle.apis';

export async function rebaseImage(
  client: EngineClientApi,
  o: RebaseOptions,
  { signal, onEvent }: { signal?: AbortSignal; onEvent?: (e: RebaseEvent) => void } = {},
): Promise<RebaseSummary> {
  const started = performance.now();
  const emit = (e: RebaseEvent) => onEvent?.(e);
  const publish = o.publish === true;
  const from = o.previousImage ?? o.image;
  const pullPolicy = o.pullPolicy ?? 'if-not-present';
  const call = signal ? { signal } : {};
  const before = await inspectImage(client, from, { registry: publish, ...call }).catch(
    (err: unknown) => {
      if (err instanceof BuildAppError && err.code === 'ERR_IMAGE_NOT_FOUND') {
        throw new BuildAppError(err.code, err.message, {
          hint: 'to rebase it in its registry, pass --publish',
        });
      }
      throw err;
    },
  );
  if (!before.rebasable && !o.force) {
    const who = before.notRebasableBecause;
    throw new BuildAppError(
      'ERR_NOT_REBASABLE',
      `${from} is not rebasable (io.buildpacks.rebasable=false)${
        who.length
          ? `: the run.Dockerfile of ${who.map((w) => `extension ${w}`).join(', ')} does not declare io.buildpacks.rebasable=true, so its layers may depend on the old run image`
          : ''
      }`,
      { hint: 'pass --force to rebase it anyway' },
    );
  }
  const runImage = o.runImage ?? before.runImage.image;
  if (!runImage) {
    throw new BuildAppError('ERR_NO_RUN_IMAGE', `${from} records no run image: pass --run-image`);
  }
  if (publish) {
    await rebaseInRegistry(
      client,
      o,
      { from, runImage, pullPolicy, emit, forced: !before.rebasable },
      signal,
    );
  } else {
    await ensureImage(client, runImage, pullPolicy, call);
    emit({
      type: 'rebase-start',
      image: o.image,
      from,
      runImage,
      lifecycleImage: undefined,
      forced: !before.rebasable,
    });
    await rebaseInDaemon(client, { from, image: o.image, runImage, ...call });
  }
  const after = await inspectImage(client, o.image, { registry: publish, ...call });
  const digest = after.digest;
  return {
    image: o.image,
    from,
    forced: !before.rebasable,
    id: after.id,
    ...(digest ? { digest } : {}),
    previousRunImage: before.runImage,
    runImage: after.runImage,
    rebasable: after.rebasable,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The lifecycle's rebaser in a lifecycle image, against the registry. */
async function rebaseInRegistry(
  client: EngineClientApi,
  o: RebaseOptions,
  r: {
    from: string;
    runImage: string;
    pullPolicy: PullPolicy;
    emit: (e: RebaseEvent) => void;
    forced: boolean;
  },
  signal: AbortSignal | undefined,
): Promise<void> {
  const call = signal ? { signal } : {};
  const before = await inspectImage(client, r.from, { registry: true, ...call });
  const lifecycle = await chooseLifecycleImage(client, {
    builder: r.from,
    lifecycleVersion: before.lifecycleVersion,
    trustBuilder: false,
    ...(o.lifecycleImage ? { lifecycleImage: o.lifecycleImage } : {}),
    pullPolicy: r.pullPolicy,
    ...call,
  });
  const lifecycleImage = lifecycle.image as string;
  const platformApi = negotiatePlatformApi(await lifecyclePlatformApis(client, lifecycleImage));
  r.emit({
    type: 'rebase-start',
    image: o.image,
    from: r.from,
    runImage: r.runImage,
    lifecycleImage,
    forced: r.forced,
  });
  const session = await LifecycleSession.create(
    {
      client,
      builderImage: lifecycleImage,
      lifecycleImage,
      platformApi,
      owner: { uid: 0, gid: 0 },
      daemonSocket: daemonSocketFor(client.endpoint, o.daemonSocket),
      network: 'host',
      // One phase: a container of its own costs less than two phase hosts.
      phaseHosts: false,
      labels: { 'io.imgext.rebase': o.image },
      onEvent: (event) => r.emit({ type: 'lifecycle', event }),
    },
    signal,
  );
  try {
    const env = await registryAuthEnv(client, [o.image, r.from, r.runImage]);
    await session.runPhase(
      'rebaser',
      rebaserArgs({
        image: o.image,
        ...(o.previousImage ? { previousImage: o.previousImage } : {}),
        runImage: r.runImage,
        daemon: false,
        // The rebaser (platform API 0.12+) also refuses, without -force, a new run image the app
        // image's metadata does not name; the run image is the user's choice here, and
        // rebasability was checked before.
        force: true,
        ...(o.logLevel ? { logLevel: o.logLevel } : {}),
      }),
      { env, ...call },
    );
  } finally {
    await session.dispose();
  }
}

/** The platform APIs of a lifecycle image (its io.buildpacks.lifecycle.apis label); 0.12 without. */
async function lifecyclePlatformApis(client: EngineClientApi, image: string): Promise<string[]> {
  const raw = (await client.images.find(image))?.Config?.Labels?.[LIFECYCLE_APIS_LABEL];
  if (raw) {
    try {
      const apis = JSON.parse(raw) as {
        platform?: { supported?: string[]; deprecated?: string[] };
      };
      const all = [...(apis.platform?.supported ?? []), ...(apis.platform?.deprecated ?? [])];
      if (all.length) return all;
    } catch {
      // fall through to the default
    }
  }
  return ['0.12'];
}
