/** run.toml (platform API >= 0.12): the run images a build may export on, with their mirrors. */
import { stringifyToml } from './toml.js';

export interface RunTomlImage {
  image: string;
  mirrors: string[];
}

/** `[[images]]` entries in order; undefined when there is none to write. */
export function serializeRunToml(images: readonly RunTomlImage[]): string | undefined {
  if (images.length === 0) return undefined;
  return stringifyToml({
    images: images.map((i) => ({ image: i.image, mirrors: [...i.mirrors] })),
  });
}
