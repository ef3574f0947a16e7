import { RUN_IMAGE, testEngines, testHostConfig, unique } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from './api.js';
import { EngineClient } from './client.js';
import { AbortedError } from './errors.js';

describe.each(testEngines())('events on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  afterAll(() => client.close());

  it('streams container events as they happen, until aborted', async () => {
    const name = unique('imgext-test-events');
    const controller = new AbortController();
    const seen: EngineEvent[] = [];
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const reading = (async (): Promise<void> => {
      for await (const event of client.events({
        since,
        filters: { type: ['container'], container: [name] },
        signal: controller.signal,
      })) {
        seen.push(event);
        if (event.Action === 'destroy' || event.Action === 'remove') controller.abort();
      }
    })().catch((e: unknown) => e);
    const { Id } = await client.containers.create(
      { Image: RUN_IMAGE, Cmd: ['true'], HostConfig: testHostConfig(engine) },
      { name },
    );
    await client.containers.remove(Id, { force: true });
    expect(await reading).toBeInstanceOf(AbortedError);
    expect(seen.map((e) => e.Action)).toContain('create');
    expect(seen.every((e) => e.Type === 'container')).toBe(true);
    expect(seen.find((e) => e.Action === 'create')?.Actor.Attributes.name).toBe(name);
  });
});
