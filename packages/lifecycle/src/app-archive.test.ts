import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appArchive, scanApp } from './app-archive.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imgext-app-archive-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drain(source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of source) {
    // the bytes go nowhere
  }
}

describe('appArchive', () => {
  // Root reads any file whatever its mode (the tests run as root), so a file that goes away
  // between the scan and the read stands for one that cannot be read (issue 12, item 18).
  for (const [kind, size] of [
    ['small', 10],
    ['big', 3 * 1024 * 1024],
  ] as const) {
    it(`a ${kind} file that cannot be read is named in ERR_APP_READ, not blamed on the engine`, async () => {
      const app = join(dir, `app-${kind}`);
      await mkdir(join(app, 'sub'), { recursive: true });
      await writeFile(join(app, 'keep.txt'), 'kept');
      await writeFile(join(app, 'sub', 'gone.bin'), Buffer.alloc(size, 1));
      const tree = await scanApp(app);
      await rm(join(app, 'sub', 'gone.bin'));
      const err = await drain(appArchive(tree, { owner: { uid: 1000, gid: 1000 } })).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'ERR_APP_READ' });
      expect((err as Error).message).toContain(join(app, 'sub', 'gone.bin'));
      expect((err as Error).message).toContain('ENOENT');
      expect((err as Error).message).not.toMatch(/engine|socket/i);
    });
  }
});
