import { RUN_IMAGE } from '@imgext/test-support';
import type { EngineClient } from '../src/client.js';
import { tarStream } from './tar.js';

/** Builds `ref` from the stack's run image with a label naming `repo`: an image no registry or
 * daemon already holds. */
export async function buildUniqueImage(
  client: EngineClient,
  repo: string,
  ref: string,
): Promise<void> {
  await client.images.build(
    tarStream([{ name: 'Dockerfile', content: `FROM ${RUN_IMAGE}\nLABEL unique=${repo}\n` }]),
    { tags: [ref], networkMode: 'none' },
  );
}
