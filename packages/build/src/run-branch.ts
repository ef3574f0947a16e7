/** The run branch: applies the run Dockerfiles and streams the OCI layout into the layers volume. */
import {
  defaultRunLayoutCacheDir,
  type ExtendOptions,
  type ExtendResult,
  ensureImage,
  extend,
  RunLayoutCache,
  tarPackSink,
} from '@imgext/extender';
import type { LifecycleSession, Owner } from '@imgext/lifecycle';
import { PATHS } from '@imgext/lifecycle';
import type { Analyzed } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';

/** Where the layout of the extended run image goes in /layers (any one folder under extended/run). */
const RUN_LAYOUT_PREFIX = 'extended/run/imgext/';

export async function extendRunImage(
  session: LifecycleSession,
  analyzedBefore: Analyzed,
  owner: Owner,
  base: Omit<ExtendOptions, 'kind' | 'baseImage' | 'layout' | 'signal'>,
  signal: AbortSignal,
): Promise<ExtendResult> {
  const baseImage = analyzedBefore.runImage?.reference ?? analyzedBefore.runImage?.image;
  if (!baseImage) throw new BuildAppError('ERR_NO_RUN_IMAGE', 'the analyzer recorded no run image');
  // The analyzer names the run image by its registry digest under --publish; the daemon may not
  // know it by that name (podman records the digest of its own manifest, not of the one pushed),
  // so it is pulled by digest when missing, as the pull policy allows.
  await ensureImage(base.engine, baseImage, base.pullPolicy ?? 'if-not-present', {
    signal,
    ...(base.onEvent ? { onEvent: base.onEvent } : {}),
  });
  const upload = session.openUpload(PATHS.layers, signal);
  const cacheDir = defaultRunLayoutCacheDir();
  try {
    const result = await extend({
      ...(cacheDir ? { layoutCache: new RunLayoutCache(cacheDir) } : {}),
      ...base,
      kind: 'run',
      baseImage,
      layout: tarPackSink(upload.pack, { prefix: RUN_LAYOUT_PREFIX, ...owner }),
      signal,
    });
    upload.pack.finalize();
    await upload.done;
    return result;
  } catch (err) {
    upload.pack.destroy(err instanceof Error ? err : new Error(String(err)));
    await upload.done.catch(() => undefined);
    throw err;
  }
}
