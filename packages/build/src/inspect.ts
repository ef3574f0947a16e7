/**
 * `inspect`: what a buildpacks app image is made of, read from the daemon or straight from its
 * registry — run image, buildpacks, extensions (with what each did), processes, rebasability.
 */
import type { EngineClientApi } from '@imgext/engine-client';
import { type AppImageMetadata, MetadataError, parseAppImage } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';
import { RegistryClient } from './registry-client.js';

export interface ImageInspection extends AppImageMetadata {
  /** The reference as asked. */
  image: string;
  /** Where it was read. */
  location: 'daemon' | 'registry';
  /** The daemon's image ID, or the config digest in the registry. */
  id: string;
  /** The manifest digest (registry only). */
  digest?: string;
  /** The layers' diffIDs, oldest first. */
  layers: string[];
  /** How many of `layers` belong to the run image (up to and including its top layer). */
  runImageLayers: number | undefined;
  os?: string;
  architecture?: string;
  created?: string;
}

export interface InspectOptions {
  /** Read the image from its registry instead of the daemon. */
  registry?: boolean;
  signal?: AbortSignal;
}

export async function inspectImage(
  client: EngineClientApi,
  ref: string,
  { registry = false, signal }: InspectOptions = {},
): Promise<ImageInspection> {
  const call = signal ? { signal } : {};
  if (registry) {
    const reg = new RegistryClient((r) => client.authFor(r));
    const img = await reg.image(ref, signal);
    const out: ImageInspection = {
      image: ref,
      location: 'registry',
      id: img.configDigest,
      ...(img.digest ? { digest: img.digest } : {}),
      layers: img.diffIds,
      ...parse(ref, img.config.labels, img.config.history),
      runImageLayers: undefined,
      ...(img.config.os ? { os: img.config.os } : {}),
      ...(img.config.architecture ? { architecture: img.config.architecture } : {}),
      ...(img.config.created ? { created: img.config.created } : {}),
    };
    out.runImageLayers = runLayers(out);
    return out;
  }
  const found = await client.images.find(ref, call);
  if (!found) {
    throw new BuildAppError('ERR_IMAGE_NOT_FOUND', `image ${ref} is not in the daemon`, {
      hint: 'to read it from its registry, pass --registry',
    });
  }
  // Only the fallback for images without io.imgext.extensions needs it; Docker 26.1's containerd
  // store fails history when a layer's snapshot is gone (seen after rebuilds), so it is optional.
  const history = await client.images.history(found.Id, call).then(
    (h) => h.map((e) => e.CreatedBy).reverse(),
    (err: unknown) => {
      if (signal?.aborted) throw err;
      return [] as string[];
    },
  );
  const out: ImageInspection = {
    image: ref,
    location: 'daemon',
    id: found.Id,
    layers: found.RootFS.Layers ?? [],
    ...parse(ref, found.Config?.Labels, history),
    runImageLayers: undefined,
    os: found.Os,
    architecture: found.Architecture,
    ...(found.Created ? { created: found.Created } : {}),
  };
  out.runImageLayers = runLayers(out);
  return out;
}

function parse(
  ref: string,
  labels: Record<string, string> | null | undefined,
  history: string[],
): AppImageMetadata {
  try {
    return parseAppImage(labels, history);
  } catch (err) {
    if (err instanceof MetadataError) {
      throw new BuildAppError(
        'ERR_NOT_AN_APP_IMAGE',
        `${ref} is not a buildpacks app image: ${err.message}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

function runLayers(i: ImageInspection): number | undefined {
  const top = i.runImage.topLayer;
  if (!top) return undefined;
  const at = i.layers.indexOf(top);
  return at < 0 ? undefined : at + 1;
}
