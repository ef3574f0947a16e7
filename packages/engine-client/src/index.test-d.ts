/** Type tests for the public surface (run by vitest's typecheck mode). */
import type { Readable } from 'node:stream';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AbortedError,
  type BuildError,
  type BuildResult,
  type ConnectionError,
  EngineClient,
  type EngineClientApi,
  type EngineError,
  type EngineErrorCode,
  type ImageInspect,
  type NotFoundError,
  type OutputChunk,
  type RunResult,
  type WaitResult,
} from './index.js';

describe('public types', () => {
  it('EngineClient implements the agreed API', () => {
    expectTypeOf<EngineClient>().toMatchTypeOf<EngineClientApi>();
    expectTypeOf(EngineClient.connect).returns.resolves.toEqualTypeOf<EngineClient>();
  });

  it('calls return our own types', () => {
    const client = new EngineClient();
    expectTypeOf(client.images.inspect('x')).resolves.toEqualTypeOf<ImageInspect>();
    expectTypeOf(client.images.find('x')).resolves.toEqualTypeOf<ImageInspect | undefined>();
    expectTypeOf(client.images.build).returns.resolves.toEqualTypeOf<BuildResult>();
    expectTypeOf(client.images.save).returns.resolves.toEqualTypeOf<Readable>();
    expectTypeOf(client.containers.logs('x')).toEqualTypeOf<AsyncIterable<OutputChunk>>();
    expectTypeOf(client.containers.wait('x')).resolves.toEqualTypeOf<WaitResult>();
    expectTypeOf(client.containers.run).returns.resolves.toEqualTypeOf<RunResult>();
    expectTypeOf(client.apiVersion()).resolves.toBeString();
  });

  it('every call takes an AbortSignal', () => {
    const client = new EngineClient();
    const signal = AbortSignal.timeout(1);
    client.ping({ signal });
    const context = {} as Readable;
    client.images.build(context, { signal });
    client.containers.run({ Image: 'x' }, { signal });
    client.containers.kill('x', { signal, killSignal: 'SIGTERM' });
    // @ts-expect-error the kill signal is `killSignal`; `signal` is the AbortSignal
    client.containers.kill('x', { signal: 'SIGTERM' });
  });

  it('errors carry stable literal codes', () => {
    expectTypeOf<NotFoundError['code']>().toEqualTypeOf<'ENGINE_NOT_FOUND'>();
    expectTypeOf<BuildError['code']>().toEqualTypeOf<'ENGINE_BUILD_FAILED'>();
    expectTypeOf<AbortedError['code']>().toEqualTypeOf<'ENGINE_ABORTED'>();
    expectTypeOf<ConnectionError['code']>().toEqualTypeOf<'ENGINE_CONNECTION'>();
    expectTypeOf<BuildError['transcript']>().toEqualTypeOf<string[]>();
    expectTypeOf<NotFoundError>().toMatchTypeOf<EngineError>();
    expectTypeOf<'ENGINE_STREAM'>().toMatchTypeOf<EngineErrorCode>();
  });
});
