/** `builder inspect`: a builder image as the daemon has it (pulled per the pull policy). */
import type { EngineClientApi } from '@imgext/engine-client';
import type { PullPolicy } from '@imgext/extender';
import { type BuilderDescription, describeBuilder, MetadataError } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';
import { findBuilder } from './builder-image.js';

export interface BuilderInspection extends BuilderDescription {
  builder: string;
  id: string;
  /** What `imgext build` would do with it: run the daemon-access phases in this image (untrusted). */
  defaultLifecycleImage?: string;
}

export async function inspectBuilder(
  client: EngineClientApi,
  ref: string,
  { pullPolicy = 'if-not-present', signal }: { pullPolicy?: PullPolicy; signal?: AbortSignal } = {},
): Promise<BuilderInspection> {
  const image = await findBuilder(client, ref, pullPolicy, signal);
  let description: BuilderDescription;
  try {
    description = describeBuilder(image.Config?.Labels);
  } catch (err) {
    if (!(err instanceof MetadataError)) throw err;
    throw new BuildAppError('ERR_NOT_A_BUILDER', `${ref} is not a CNB builder: ${err.message}`, {
      cause: err,
      hint: 'a builder carries the io.buildpacks.builder.metadata label (pack builder create makes one)',
    });
  }
  return {
    builder: ref,
    id: image.Id,
    ...description,
    ...(description.lifecycle.version
      ? { defaultLifecycleImage: `buildpacksio/lifecycle:${description.lifecycle.version}` }
      : {}),
  };
}
