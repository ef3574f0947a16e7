/** The sample builder and app of tools/sample (tools/env up builds the builder into every engine). */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SAMPLE_BUILDER =
  process.env.IMGEXT_SAMPLE_BUILDER ?? 'imgext.local/sample/builder:latest';
export const SAMPLE_APP = resolve(import.meta.dirname, '../../../tools/sample/app');

/** A copy of the sample app whose `sample-extensions` file selects `words` (see tools/sample). */
export async function sampleApp(words: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-app-'));
  await cp(SAMPLE_APP, dir, { recursive: true });
  await writeFile(join(dir, 'sample-extensions'), `${words}\n`);
  return dir;
}

/** Removes a folder a test made (a copy of the sample app); nothing when `dir` is undefined. */
export async function removeDirIfAny(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}
