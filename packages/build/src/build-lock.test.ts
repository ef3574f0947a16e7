/**
 * The lock on an image's caches, against every test engine: one holder at a time, a waiter
 * that goes on when the holder releases, a stale lock of a process that no longer runs taken
 * over, and an abort while waiting that leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { EngineClient } from '@imgext/engine-client';
import { RUN_IMAGE, testEngines } from '@imgext/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireBuildLock, buildLockName, LOCK_LABEL, type LockHolder } from './build-lock.js';

describe.each(testEngines())('the build lock on $name', ({ host }) => {
  const client = new EngineClient({ host });
  const run = Math.random().toString(36).slice(2, 8);
  const image = `imgext-test/build-lock-${run}:latest`;
  const locks = () => client.containers.list({ all: true, filters: { label: [LOCK_LABEL] } });
  const ours = async () => (await locks()).filter((c) => c.Labels?.[LOCK_LABEL] === image);

  afterAll(async () => {
    for (const c of await ours()) await client.containers.remove(c.Id, { force: true });
    await client.close();
  });

  it('one holder at a time: the second waits, told who holds it, and goes on at the release', async () => {
    const first = await acquireBuildLock(client, { image, lockImage: RUN_IMAGE });
    const waits: LockHolder[] = [];
    let secondHas = false;
    const second = acquireBuildLock(client, {
      image,
      lockImage: RUN_IMAGE,
      onWait: (h) => waits.push(h),
    }).then((lock) => {
      secondHas = true;
      return lock;
    });
    while (waits.length === 0) await new Promise((r) => setTimeout(r, 50));
    expect(secondHas).toBe(false);
    expect(waits).toEqual([
      { lock: buildLockName(image), host: hostname(), pid: process.pid, since: expect.any(String) },
    ]);
    expect(await ours()).toHaveLength(1);
    await first.release();
    const lock = await second;
    expect(await ours()).toHaveLength(1);
    await lock.release();
    await lock.release(); // idempotent
    expect(await ours()).toEqual([]);
  });

  it('the same lock for every spelling of the image', () => {
    expect(buildLockName('app')).toBe(buildLockName('docker.io/library/app:latest'));
    expect(buildLockName('app')).not.toBe(buildLockName('app:v2'));
  });

  it('takes over a lock whose holder on this host no longer runs', async () => {
    // The pid of a process that ran and was reaped.
    const dead = spawnSync('true').pid!;
    await client.containers.create(
      {
        Image: RUN_IMAGE,
        Cmd: ['imgext-build-lock'],
        Labels: {
          [LOCK_LABEL]: image,
          'io.imgext.lock.host': hostname(),
          'io.imgext.lock.pid': String(dead),
        },
        HostConfig: { NetworkMode: 'none' },
      },
      { name: buildLockName(image) },
    );
    const stale: LockHolder[] = [];
    const waits: LockHolder[] = [];
    const lock = await acquireBuildLock(client, {
      image,
      lockImage: RUN_IMAGE,
      onStale: (h) => stale.push(h),
      onWait: (h) => waits.push(h),
    });
    expect(stale.map((h) => h.pid)).toEqual([dead]);
    expect(waits).toEqual([]);
    await lock.release();
    expect(await ours()).toEqual([]);
  });

  it('an abort while waiting rejects and leaves only the holder', async () => {
    const holder = await acquireBuildLock(client, { image, lockImage: RUN_IMAGE });
    const controller = new AbortController();
    const waiting = acquireBuildLock(client, {
      image,
      lockImage: RUN_IMAGE,
      signal: controller.signal,
      onWait: () => controller.abort(new Error('SIGINT')),
    });
    await expect(waiting).rejects.toThrow('SIGINT');
    expect(await ours()).toHaveLength(1);
    await holder.release();
    expect(await ours()).toEqual([]);
  });
});
