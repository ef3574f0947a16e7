import { testEngines, unique } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineClient } from './client.js';
import { NotFoundError } from './errors.js';

describe.each(testEngines())('volumes on $name', (engine) => {
  const client = new EngineClient({ host: engine.host });
  const name = unique('imgext-test-vol');
  afterAll(async () => {
    await client.volumes.remove(name, { force: true }).catch(() => undefined);
    await client.close();
  });

  it('creates, inspects, lists by label, and removes a volume', async () => {
    const created = await client.volumes.create({ name, labels: { 'org.imgext.test': name } });
    expect(created).toMatchObject({ Name: name, Driver: 'local' });
    expect((await client.volumes.inspect(name)).Labels).toMatchObject({ 'org.imgext.test': name });
    const listed = await client.volumes.list({ filters: { label: [`org.imgext.test=${name}`] } });
    expect(listed.map((v) => v.Name)).toEqual([name]);
    await client.volumes.remove(name);
    await expect(client.volumes.inspect(name)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an anonymous volume gets a generated name', async () => {
    const volume = await client.volumes.create();
    try {
      expect(volume.Name).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await client.volumes.remove(volume.Name);
    }
  });
});
