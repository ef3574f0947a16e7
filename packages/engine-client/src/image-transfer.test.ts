import { Readable } from 'node:stream';
import { removeImagesOf, testEngines, unique } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarStream, untar } from '../test/tar.js';
import { buildUniqueImage } from '../test/unique-image.js';
import { EngineClient } from './client.js';
import { AbortedError } from './errors.js';

describe.each(testEngines())('save, load and import on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const repo = `imgext-test/${unique('transfer')}`;
  const ref = `${repo}:saved`;

  beforeAll(() => buildUniqueImage(client, repo, ref));

  afterAll(async () => {
    await removeImagesOf(client, repo);
    await client.close();
  });

  it('saves an image as a stream and loads it back', async () => {
    const stream = await client.images.save([ref]);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    const tar = Buffer.concat(parts);
    const files = untar(tar);
    expect([...files.keys()]).toContain('manifest.json');
    await client.images.remove(ref);
    const lines: string[] = [];
    const loaded = await client.images.load(Readable.from([tar]), {
      onProgress: (l) => lines.push(l),
    });
    expect(loaded.some((name) => name.endsWith(ref) || name.startsWith('sha256:'))).toBe(true);
    expect((await client.images.inspect(ref)).Config?.Labels).toMatchObject({ unique: repo });
  });

  it('a save can be destroyed early and aborting one rejects', async () => {
    const stream = await client.images.save([ref]);
    for await (const _ of stream) break;
    expect(stream.destroyed).toBe(true);
    await expect(client.images.save([ref], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    // the client still works afterwards
    expect((await client.images.inspect(ref)).Id).toBeTruthy();
  });

  it('imports a root filesystem tarball with changes', async () => {
    const id = await client.images.import(
      tarStream([{ name: 'hello.txt', content: 'imported\n' }]),
      { repo, tag: 'imported', changes: ['LABEL imported=yes', 'CMD ["/hello.txt"]'] },
    );
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const image = await client.images.inspect(`${repo}:imported`);
    expect(image.Config?.Labels).toMatchObject({ imported: 'yes' });
    expect(image.Config?.Cmd).toEqual(['/hello.txt']);
    expect(image.RootFS.Layers).toHaveLength(1);
  });
});
