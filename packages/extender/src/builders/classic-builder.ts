/**
 * The classic builder's backend: the context as a tar, `FROM <image ID>` through `base_image`,
 * and the step images it commits (kept as its build cache, removed when the build fails or
 * when no cache is kept).
 */
import type { BuildProgressEvent } from '@imgext/engine-client';
import { BASE_IMAGE_ARG } from '@imgext/metadata';
import { buildContext, CONTEXT_DOCKERFILE } from '../build-context.js';
import { type NotRemoved, removeCommitted } from '../untagged-images.js';
import type {
  DockerfileBuild,
  DockerfileBuilder,
  DockerfileBuildResult,
} from './dockerfile-builder.js';
import { toExtenderError } from './extender-build-error.js';

export const classicBuilder: DockerfileBuilder = {
  kind: 'classic',
  async build(b: DockerfileBuild): Promise<DockerfileBuildResult> {
    const { engine, kind, dockerfile: d } = b;
    const call = b.signal ? { signal: b.signal } : {};
    const extension = d.extensionId;
    const committed: string[] = [];
    let result: Awaited<ReturnType<typeof engine.images.build>>;
    try {
      result = await engine.images.build(
        buildContext({ dockerfile: b.text, ...(b.dir ? { dir: b.dir } : {}), ...call }),
        {
          builder: 'classic',
          dockerfile: CONTEXT_DOCKERFILE,
          buildArgs: { [BASE_IMAGE_ARG]: b.baseImageId, ...b.buildArgs },
          tags: b.tags,
          ...(b.labels ? { labels: b.labels } : {}),
          networkMode: b.networkMode,
          ...(b.registries ? { registries: b.registries } : {}),
          rm: true,
          forceRm: true,
          onProgress: (e: BuildProgressEvent) => {
            if (e.type === 'committed') committed.push(e.id);
            else if (e.type === 'step')
              b.emit({ type: 'extension.step', kind, extension, step: e.raw, cached: false });
            else if (e.type === 'cache-hit')
              b.emit({
                type: 'extension.step',
                kind,
                extension,
                step: 'Using cache',
                cached: true,
              });
            else if (e.type === 'output')
              b.emit({ type: 'extension.output', kind, extension, text: e.text });
          },
          ...call,
        },
      );
    } catch (err) {
      // The steps it committed stay behind as untagged images, and a retry rebuilds them.
      report(b, await removeCommitted(engine, committed));
      throw toExtenderError(err, b, classicStepLine);
    }
    if (!b.keepCache) {
      const id = (await engine.images.inspect(result.imageId, call)).Id;
      report(b, await removeCommitted(engine, result.newImageIds, { keep: id }));
    }
    return { imageId: result.imageId, cacheHits: result.cacheHits, steps: result.steps };
  },
};

/** A step image the daemon would not remove is said, not swallowed. */
function report(b: DockerfileBuild, r: { notRemoved: NotRemoved[] }): void {
  for (const n of r.notRemoved) {
    b.emit({
      type: 'warning',
      message: `extension ${b.dockerfile.extensionId}: could not remove step image ${n.ref}: ${n.message}`,
      extension: b.dockerfile.extensionId,
    });
  }
}

/** Maps the classic builder's 'Step N/M : ...' to the Dockerfile line of the N-th instruction. */
export function classicStepLine(
  step: string,
  b: Pick<DockerfileBuild, 'dockerfile' | 'injectedBaseArg'>,
): number | undefined {
  const n = Number(/Step (\d+)\//.exec(step)?.[1]) - (b.injectedBaseArg ? 1 : 0);
  return Number.isInteger(n) && n > 0
    ? b.dockerfile.validated.parsed.instructions[n - 1]?.line
    : undefined;
}
