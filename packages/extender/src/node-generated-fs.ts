import { readdir, readFile } from 'node:fs/promises';
import type { GeneratedFs } from '@imgext/metadata';

/** @imgext/metadata's GeneratedFs over the real filesystem. */
export const nodeGeneratedFs: GeneratedFs = {
  async list(dir) {
    try {
      return (await readdir(dir, { withFileTypes: true })).map((e) => ({
        name: e.name,
        dir: e.isDirectory(),
      }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
};
