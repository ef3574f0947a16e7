import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { removeTree, tempTree } from '../test/helpers.js';
import { buildContext, CONTEXT_DOCKERFILE } from './build-context.js';

async function entries(tar: AsyncIterable<Uint8Array>): Promise<Record<string, string>> {
  const ex = extract();
  Readable.from(tar).pipe(ex);
  const out: Record<string, string> = {};
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out[e.header.name] =
      e.header.type === 'directory' ? '<dir>' : Buffer.concat(chunks).toString('utf8');
  }
  return out;
}

describe('buildContext', () => {
  it('sends only the Dockerfile (and the .dockerignore hiding it) when there is no dir', async () => {
    expect(await entries(buildContext({ dockerfile: 'FROM x\n' }))).toEqual({
      [CONTEXT_DOCKERFILE]: 'FROM x\n',
      '.dockerignore': `${CONTEXT_DOCKERFILE}\n.dockerignore\n`,
    });
  });

  it('streams a directory, merging an existing .dockerignore', async () => {
    const dir = await tempTree({ 'a.txt': 'a', 'sub/b.txt': 'b', '.dockerignore': 'secret' });
    try {
      expect(await entries(buildContext({ dockerfile: 'FROM x\n', dir }))).toEqual({
        'a.txt': 'a',
        sub: '<dir>',
        'sub/b.txt': 'b',
        [CONTEXT_DOCKERFILE]: 'FROM x\n',
        '.dockerignore': `secret\n${CONTEXT_DOCKERFILE}\n.dockerignore\n`,
      });
    } finally {
      await removeTree(dir);
    }
  });
});
