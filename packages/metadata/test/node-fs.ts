import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { GeneratedFs } from '../src/generated.js';

export const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

/** GeneratedFs over the real filesystem, as the extender implements it. */
export const nodeFs: GeneratedFs = {
  async list(dir) {
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, dir: e.isDirectory() }));
    } catch {
      return [];
    }
  },
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};
