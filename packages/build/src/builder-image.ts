/** The builder image: found (or pulled), its builder metadata label, and its CNB user. */
import type { EngineClientApi, ImageInspect } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import type { Owner } from '@imgext/lifecycle';
import { type BuilderMetadata, parseBuilderMetadata } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';

/** The builder as the daemon has it, pulled first when `policy` asks for it. */
export async function findBuilder(
  client: EngineClientApi,
  ref: string,
  policy: PullPolicy,
  signal?: AbortSignal,
): Promise<ImageInspect> {
  const opts = signal ? { signal } : {};
  const found = policy === 'always' ? undefined : await client.images.find(ref, opts);
  if (found) return found;
  if (policy !== 'never') {
    try {
      await client.images.pull(ref, opts);
      const pulled = await client.images.find(ref, opts);
      if (pulled) return pulled;
    } catch (err) {
      if (signal?.aborted) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      if (policy === 'always') {
        // Pulling was asked for: the daemon may well have the image, it just could not refresh it.
        const local = await client.images.find(ref, opts).catch(() => undefined);
        throw new BuildAppError(
          'ERR_BUILDER_PULL_FAILED',
          `builder ${ref} could not be pulled (pull policy always): ${reason}`,
          {
            cause: err,
            ...(local
              ? { hint: 'the daemon has it: --pull-policy if-not-present builds with that one' }
              : {}),
          },
        );
      }
      throw new BuildAppError(
        'ERR_BUILDER_NOT_FOUND',
        `builder ${ref} is not in the daemon and could not be pulled: ${reason}`,
        { cause: err },
      );
    }
  }
  throw new BuildAppError(
    'ERR_BUILDER_NOT_FOUND',
    `builder ${ref} is not in the daemon (pull policy ${policy})`,
  );
}

/** The builder's `io.buildpacks.builder.metadata`, with at least one platform API. */
export function builderMetadata(builder: ImageInspect, ref: string): BuilderMetadata {
  try {
    const md = parseBuilderMetadata(builder.Config?.Labels);
    if (md.platformApis.length === 0) throw new Error('no platform APIs in its metadata');
    return md;
  } catch (err) {
    throw new BuildAppError(
      'ERR_NOT_A_BUILDER',
      `${ref} is not a CNB builder: ${(err as Error).message}`,
      {
        cause: err,
        hint: 'a builder carries the io.buildpacks.builder.metadata label (pack builder create makes one)',
      },
    );
  }
}

/** The CNB user from the builder's CNB_USER_ID / CNB_GROUP_ID. */
export function cnbUser(builder: ImageInspect, ref: string): Owner {
  const env = new Map(
    (builder.Config?.Env ?? []).map((kv) => {
      const eq = kv.indexOf('=');
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
  const uid = Number(env.get('CNB_USER_ID'));
  const gid = Number(env.get('CNB_GROUP_ID'));
  if (
    !env.has('CNB_USER_ID') ||
    !env.has('CNB_GROUP_ID') ||
    !Number.isInteger(uid) ||
    !Number.isInteger(gid)
  ) {
    throw new BuildAppError(
      'ERR_NOT_A_BUILDER',
      `${ref} is not a CNB builder: CNB_USER_ID/CNB_GROUP_ID are not set`,
    );
  }
  return { uid, gid };
}
