/** What a finished build made: the image, its extensions, and the run image it stands on. */
import type { EngineClientApi } from '@imgext/engine-client';
import type { ExtendResult } from '@imgext/extender';
import { LIFECYCLE_METADATA_LABEL, REBASABLE_LABEL } from '@imgext/metadata';

export interface BuildSummary {
  image: string;
  /** The image ID in the daemon (not with --publish). */
  imageId?: string;
  /** With --publish: the manifest digest pushed (from the exporter's report.toml). */
  digest?: string;
  /** The more names given (pack's --tag). */
  tags?: string[];
  platformApi: string;
  /** The extensions detect chose, in order. */
  extensions: string[];
  /** The extended build image, when build Dockerfiles were applied. */
  buildImage?: { imageId: string; applied: string[] };
  /** The run image of the built image (not with --publish). */
  runImage?: { reference?: string; topLayer?: string; applied: string[]; rebasable?: string };
  durationMs: number;
}

export interface SummaryInput {
  image: string;
  publish: boolean;
  platformApi: string;
  extensions: string[];
  buildExtended: ExtendResult | undefined;
  runExtended: ExtendResult | undefined;
  durationMs: number;
  digest?: string;
  tags?: string[];
}

interface LifecycleMetadata {
  runImage?: { reference?: string; topLayer?: string };
}

/** Reads the built image's labels (daemon builds only) into a summary. */
export async function summarizeBuild(
  client: EngineClientApi,
  o: SummaryInput,
): Promise<BuildSummary> {
  const summary: BuildSummary = {
    image: o.image,
    platformApi: o.platformApi,
    extensions: o.extensions,
    durationMs: o.durationMs,
    ...(o.digest ? { digest: o.digest } : {}),
    ...(o.tags?.length ? { tags: o.tags } : {}),
  };
  if (o.buildExtended?.applied.length) {
    summary.buildImage = {
      imageId: o.buildExtended.imageId,
      applied: o.buildExtended.applied.map((a) => a.extension),
    };
  }
  if (o.publish) return summary;
  const image = await client.images.inspect(o.image);
  summary.imageId = image.Id;
  const labels = image.Config?.Labels ?? {};
  const md = labels[LIFECYCLE_METADATA_LABEL]
    ? (JSON.parse(labels[LIFECYCLE_METADATA_LABEL]) as LifecycleMetadata)
    : {};
  summary.runImage = {
    ...(md.runImage?.reference ? { reference: md.runImage.reference } : {}),
    ...(md.runImage?.topLayer ? { topLayer: md.runImage.topLayer } : {}),
    applied: o.runExtended?.applied.map((a) => a.extension) ?? [],
    ...(labels[REBASABLE_LABEL] ? { rebasable: labels[REBASABLE_LABEL] } : {}),
  };
  return summary;
}
