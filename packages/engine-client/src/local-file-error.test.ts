/**
 * A build context that cannot be read is named as such, against the real daemon. The file is
 * really unreadable for root too: a write-only sysctl (mode 0200), which procfs refuses to read
 * even with CAP_DAC_OVERRIDE.
 */
import { accessSync, constants, createReadStream } from 'node:fs';
import { testEngines } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from './client.js';
import { ConnectionError, LocalFileError } from './errors.js';

const UNREADABLE = '/proc/sys/vm/compact_memory';

function reallyUnreadable(): boolean {
  try {
    accessSync(UNREADABLE, constants.F_OK);
  } catch {
    return false;
  }
  return true;
}

const engine = testEngines()[0]!;

describe.runIf(reallyUnreadable())(`an unreadable local file on ${engine.name}`, () => {
  const client = new EngineClient({ host: engine.host });
  afterAll(() => client.close());

  it('a build context that fails to read with EACCES is a LocalFileError naming the file', async () => {
    const err = await client.images
      .build(createReadStream(UNREADABLE), { networkMode: 'none' })
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ConnectionError);
    expect(err).toBeInstanceOf(LocalFileError);
    expect(err).toMatchObject({
      code: 'ENGINE_LOCAL_FILE',
      file: UNREADABLE,
      syscallCode: 'EACCES',
      method: 'POST',
      path: '/build',
    });
    expect((err as Error).message).toBe(
      `cannot read ${UNREADABLE}: permission denied (EACCES) (sending POST /build)`,
    );
    // the engine is fine: the client still works
    expect((await client.ping()).apiVersion).toMatch(/^\d+\.\d+$/);
  });

  it("a caller's own stream error is passed on as it is", async () => {
    class ContextError extends Error {}
    async function* context(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(512);
      throw new ContextError('the context generator broke');
    }
    const err = await client.images.build(context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextError);
  });
});
