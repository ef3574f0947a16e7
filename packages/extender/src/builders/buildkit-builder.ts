/**
 * The BuildKit backend: the daemon's BuildKit over a session (engine-client serves the context
 * with FileSync, file by file). BuildKit resolves `FROM` as a reference and cannot take an image
 * ID, so the base is handed over as a short-lived tag (see base-tags.ts), removed once no build
 * of this process uses it. BuildKit commits no step images: nothing else to clean.
 */
import type { BuildProgressEvent } from '@imgext/engine-client';
import { BASE_IMAGE_ARG } from '@imgext/metadata';
import { acquireBaseTag, baseTagFor, releaseBaseTag } from './base-tags.js';
import type {
  DockerfileBuild,
  DockerfileBuilder,
  DockerfileBuildResult,
} from './dockerfile-builder.js';
import { toExtenderError } from './extender-build-error.js';

/** The name of the Dockerfile in the session's `dockerfile` source. */
const DOCKERFILE = 'Dockerfile';

export const buildkitBuilder: DockerfileBuilder = {
  kind: 'buildkit',
  async build(b: DockerfileBuild): Promise<DockerfileBuildResult> {
    const { engine, kind, dockerfile: d } = b;
    const call = b.signal ? { signal: b.signal } : {};
    const extension = d.extensionId;
    // The base tag is ours, not the user's: steps show the base as its short image ID.
    const shortBase = b.baseImageId.replace(/^sha256:/, '').slice(0, 12);
    const display = (name: string) =>
      name.replace(/imgext\.local\/hold\/base:[0-9a-f]{64}(@sha256:[0-9a-f]{64})?/g, shortBase);
    const base = baseTagFor(b.baseImageId);
    const build = (after: Promise<unknown>) =>
      engine.images.build(
        { ...(b.dir ? { dir: b.dir } : {}), files: { [DOCKERFILE]: b.text } },
        {
          builder: 'buildkit',
          dockerfile: DOCKERFILE,
          buildArgs: { [BASE_IMAGE_ARG]: base, ...b.buildArgs },
          tags: b.tags,
          ...(b.labels ? { labels: b.labels } : {}),
          networkMode: b.networkMode,
          ...(b.registries ? { registries: b.registries } : {}),
          onProgress: (e: BuildProgressEvent) => forward(e, b),
          // the session opens while the base is tagged
          after,
          ...call,
        },
      );
    // Settles once the tag is there (or failed: then no use of it is counted).
    const acquired = acquireBaseTag(engine, b.baseImageId, call);
    // Awaited by the build and by release(); an abort meanwhile must not be an unhandled rejection.
    acquired.catch(() => undefined);
    let result: Awaited<ReturnType<typeof build>>;
    try {
      try {
        result = await build(acquired);
      } catch (err) {
        // Another process's build of the same base may have removed the shared tag before
        // this build resolved it: tag again and build once more.
        if (!lostBase(err, base)) throw err;
        result = await build(acquireBaseTag(engine, b.baseImageId, { ...call, retag: true }));
      }
    } catch (err) {
      await release(acquired);
      throw toExtenderError(err, b, buildkitStepLine);
    }
    // The chain's next base is read while the tag goes.
    const [image] = await Promise.allSettled([
      engine.images.inspect(result.imageId, call),
      release(acquired),
    ]);
    if (image.status === 'rejected') throw image.reason;
    return {
      imageId: result.imageId,
      cacheHits: result.cacheHits,
      steps: result.steps,
      image: image.value,
    };

    /** Drops this build's use of the base tag, if it got one; never under the caller's signal. */
    async function release(tagged: Promise<string>): Promise<void> {
      const ref = await tagged.catch(() => undefined);
      if (ref === undefined) return;
      await releaseBaseTag(engine, ref).catch((err: Error) =>
        b.emit({
          type: 'warning',
          message: `could not remove the temporary tag ${ref}: ${err.message}`,
          extension,
        }),
      );
    }
    function forward(e: BuildProgressEvent, x: DockerfileBuild) {
      if (e.type === 'vertex') {
        x.emit({
          type: 'extension.vertex',
          kind,
          extension,
          id: e.id,
          name: display(e.name),
          internal: e.name.startsWith('[internal]'),
          state: e.state,
          ...(e.startedAt !== undefined ? { startedAt: e.startedAt } : {}),
          ...(e.completedAt !== undefined ? { completedAt: e.completedAt } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
        });
      } else if (e.type === 'vertex-log') {
        x.emit({ type: 'extension.output', kind, extension, text: e.text });
      } else if (e.type === 'warning') {
        x.emit({ type: 'warning', message: `extension ${extension}: ${e.message}`, extension });
      }
    }
  },
};

/** A build that failed because its FROM could not find the base tag (resolved in a registry). */
function lostBase(err: unknown, base: string): boolean {
  const e = err as { code?: string; step?: string };
  return (
    e?.code === 'ENGINE_BUILD_FAILED' &&
    (e.step ?? '').includes(base) &&
    /FROM|load metadata/.test(e.step ?? '')
  );
}

/**
 * Maps BuildKit's step name (`[2/3] RUN make`, `[stage-1 2/3] COPY …`, `[builder 1/2] FROM …`)
 * to its Dockerfile line: step 1 is the stage's FROM, then one step per RUN, COPY, ADD and
 * WORKDIR (the instructions BuildKit turns into operations), in order.
 */
export function buildkitStepLine(
  step: string,
  b: Pick<DockerfileBuild, 'dockerfile'>,
): number | undefined {
  const m = /^\[(?:(\S+) )?(\d+)\/(\d+)\]/.exec(step);
  if (!m) return undefined;
  const stages = b.dockerfile.validated.parsed.stages;
  const stage = m[1]
    ? (stages.find((s) => s.name?.toLowerCase() === m[1]!.toLowerCase()) ??
      stages[Number(/^stage-(\d+)$/.exec(m[1])?.[1] ?? Number.NaN)])
    : stages.at(-1);
  if (!stage) return undefined;
  const n = Number(m[2]);
  if (n === 1) return stage.from.line;
  const ops = stage.commands.filter((c) =>
    ['RUN', 'COPY', 'ADD', 'WORKDIR'].includes(c.keyword.toUpperCase()),
  );
  return ops[n - 2]?.line;
}
