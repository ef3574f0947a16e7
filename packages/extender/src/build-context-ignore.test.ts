/**
 * The app's `.dockerignore` in an extension's build context (issue 12 item 11): what it lists
 * never leaves the machine (it is not in the tar the daemon receives), and a `COPY .` leaves it
 * out on every test engine, podman included.
 */
import { Readable } from 'node:stream';
import { EngineClient } from '@imgext/engine-client';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUILD_IMAGE,
  readFileInImage,
  removeTree,
  tempTree,
  testEngines,
} from '../test/helpers.js';
import { buildContext, CONTEXT_DOCKERFILE } from './build-context.js';

const app = {
  'app.txt': 'app',
  'secret.txt': 'the secret',
  'logs/today.log': 'log',
  'conf/a.key': 'key a',
  'conf/keep.key': 'kept key',
  'conf/settings.toml': 'settings',
  '.dockerignore':
    '# what docker build would leave out\nsecret.txt\nlogs\n**/*.key\n!conf/keep.key\n',
};

async function names(tar: AsyncIterable<Uint8Array>): Promise<string[]> {
  const ex = extract();
  const source = Readable.from(tar);
  source.on('error', (err) => ex.destroy(err));
  source.pipe(ex);
  const out: string[] = [];
  for await (const e of ex) {
    out.push(e.header.name);
    e.resume();
  }
  return out.sort();
}

describe('buildContext and the .dockerignore of its folder', () => {
  it('leaves out what .dockerignore lists: the file never leaves the machine', async () => {
    const dir = await tempTree(app);
    try {
      expect(await names(buildContext({ dockerfile: 'FROM x\n', dir }))).toEqual(
        [
          '.dockerignore',
          CONTEXT_DOCKERFILE,
          'app.txt',
          'conf',
          'conf/keep.key',
          'conf/settings.toml',
        ].sort(),
      );
    } finally {
      await removeTree(dir);
    }
  });

  it('an invalid pattern fails the context, naming the .dockerignore', async () => {
    const dir = await tempTree({ 'a.txt': 'a', '.dockerignore': 'a[\n' });
    try {
      await expect(names(buildContext({ dockerfile: 'FROM x\n', dir }))).rejects.toThrow(
        /\.dockerignore.*a\[/,
      );
    } finally {
      await removeTree(dir);
    }
  });
});

describe.each(testEngines())('COPY . of a context with a .dockerignore on $name', ({ host }) => {
  const engine = new EngineClient({ host });
  const tag = `imgext-test/dockerignore:${Math.random().toString(36).slice(2, 8)}`;

  afterAll(async () => {
    await engine.images.remove(tag, { force: true }).catch(() => undefined);
    await engine.close();
  });

  it('leaves out the listed files, keeps the rest', async () => {
    const dir = await tempTree(app);
    try {
      const { imageId } = await engine.images.build(
        buildContext({ dockerfile: `FROM ${BUILD_IMAGE}\nCOPY . /x/\n`, dir }),
        { dockerfile: CONTEXT_DOCKERFILE, tags: [tag], networkMode: 'none' },
      );
      expect(await readFileInImage(engine, imageId, '/x/app.txt')).toBe('app');
      expect(await readFileInImage(engine, imageId, '/x/conf/keep.key')).toBe('kept key');
      expect(await readFileInImage(engine, imageId, '/x/conf/settings.toml')).toBe('settings');
      for (const gone of ['secret.txt', 'logs/today.log', 'conf/a.key', CONTEXT_DOCKERFILE]) {
        await expect(readFileInImage(engine, imageId, `/x/${gone}`), gone).rejects.toThrow();
      }
    } finally {
      await removeTree(dir);
    }
  });
});
