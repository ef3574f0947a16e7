/**
 * buildApp against the real daemon ($DOCKER_HOST), the real lifecycle in the sample builder and
 * the sample extensions (tools/env up makes them): the summary, the typed events, the error codes.
 * The CLI's end-to-end tests (apps/cli/test) cover the flags and every extension mix.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { SESSION_LABEL } from '@imgext/lifecycle';
import { markerExtension, removeDirIfAny, SAMPLE_BUILDER, sampleApp } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-app.js';
import type { BuildEvent } from './build-events.js';
import { acquireBuildLock, buildLockName, LOCK_LABEL } from './build-lock.js';
import { cacheVolumes } from './cache-volumes.js';

const image = 'imgext-test/lifecycle-build-app:latest';
const run = Math.random().toString(36).slice(2, 8);
/** Built twice at once by one test; another test's build waits for a lock this file holds. */
const shared = `imgext-test/build-app-lock-${run}:latest`;
const extraImages: string[] = [];

/** Those of `image`'s cache volumes that exist. */
async function cacheVolumesOf(i: string): Promise<string[]> {
  const caches = cacheVolumes(i);
  const found: string[] = [];
  for (const v of [caches.build, caches.launch]) {
    if (
      await client.volumes.inspect(v).then(
        () => true,
        () => false,
      )
    )
      found.push(v);
  }
  return found;
}

/**
 * The containers and volumes of the sessions `events` tell of that still exist: by the session
 * label of each session whose resources the events name, never every session on the engine
 * (other test files build on it at the same time).
 */
async function sessionLeftovers(events: BuildEvent[]): Promise<string[]> {
  const created = events.flatMap((e) =>
    e.type === 'lifecycle' && e.event.type === 'resource' && e.event.action === 'created'
      ? [e.event]
      : [],
  );
  const ids = new Set(
    created.flatMap((r) => /^imgext-([0-9a-f]+)-layers$/.exec(r.name)?.slice(1) ?? []),
  );
  if (ids.size === 0) throw new Error('the events named no session volume');
  const left: string[] = [];
  for (const id of ids) {
    const filters = { label: [`${SESSION_LABEL}=${id}`] };
    for (const c of await client.containers.list({ all: true, filters }))
      left.push(`container ${c.Names[0] ?? c.Id}`);
    for (const v of await client.volumes.list({ filters })) left.push(`volume ${v.Name}`);
  }
  // And by name, what the events said was created, whatever its labels.
  for (const r of created) {
    const exists =
      r.kind === 'volume'
        ? await client.volumes.inspect(r.name).then(
            () => true,
            () => false,
          )
        : (await client.containers.list({ all: true, filters: { name: [`^/${r.name}$`] } }))
            .length > 0;
    if (exists && !left.includes(`${r.kind} ${r.name}`)) left.push(`${r.kind} ${r.name}`);
  }
  return left;
}
let client: EngineClient;
let app: string | undefined;
// Steps and build images remembered by this file's builds only: what another run left in the
// user's folder would change which hosts are made (see the host made ahead).
let memoDir: string;
const memoBefore = process.env.IMGEXT_STEP_MEMO;

beforeAll(async () => {
  client = await EngineClient.connect();
  memoDir = await mkdtemp(join(tmpdir(), 'imgext-test-step-memo-'));
  process.env.IMGEXT_STEP_MEMO = memoDir;
});

afterAll(async () => {
  for (const i of [image, shared, ...extraImages])
    await client.images.remove(i, { force: true }).catch(() => undefined);
  for (const i of [image, shared]) {
    const caches = cacheVolumes(i);
    for (const v of [caches.build, caches.launch])
      await client.volumes.remove(v, { force: true }).catch(() => undefined);
  }
  await removeDirIfAny(app);
  await removeDirIfAny(memoDir);
  if (memoBefore === undefined) delete process.env.IMGEXT_STEP_MEMO;
  else process.env.IMGEXT_STEP_MEMO = memoBefore;
  await client?.close();
});

/** The session containers a build made, without the session's prefix (and a host's number). */
function containersMade(events: BuildEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === 'lifecycle' &&
    e.event.type === 'resource' &&
    e.event.action === 'created' &&
    e.event.kind === 'container'
      ? [e.event.name.replace(/^imgext-[0-9a-f]+-/, '').replace(/-ahead-\d+$/, '-ahead')]
      : [],
  );
}

describe('buildApp', () => {
  it('builds with a build and a run extension: the summary, events in order, nothing left', async () => {
    app = await sampleApp('build run');
    const events: BuildEvent[] = [];
    const summary = await buildApp(
      client,
      { image, builder: SAMPLE_BUILDER, appDir: app, trustBuilder: true },
      { onEvent: (e) => events.push(e) },
    );
    expect(summary).toMatchObject({
      image,
      imageId: (await client.images.inspect(image)).Id,
      extensions: ['imgext-samples/build-tool', 'imgext-samples/run-tool'],
      buildImage: { applied: ['imgext-samples/build-tool'] },
      runImage: { applied: ['imgext-samples/run-tool'], rebasable: 'true' },
    });
    expect(events[0]).toMatchObject({ type: 'build-start', image, builder: SAMPLE_BUILDER });
    expect(events).toContainEqual({
      type: 'lifecycle-image',
      builder: SAMPLE_BUILDER,
      image: undefined,
      source: 'trusted',
    });
    const phasesEnded = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'phase-end' ? [e.event.phase] : [],
    );
    // analyze and detect run side by side (the run image is in the daemon): either ends first.
    expect([...phasesEnded.slice(0, 2)].sort()).toEqual(['analyzer', 'detector']);
    expect(phasesEnded.slice(2)).toEqual(['restorer', 'builder', 'exporter']);
    // The critical path: both extensions start right after detect, before the restorer ends.
    const at = (match: (e: BuildEvent) => boolean) => events.findIndex(match);
    const phaseAt = (type: 'phase-start' | 'phase-end', phase: string) =>
      at((e) => e.type === 'lifecycle' && e.event.type === type && e.event.phase === phase);
    const restorerEnd = phaseAt('phase-end', 'restorer');
    const detectorEnd = phaseAt('phase-end', 'detector');
    // Beside the analyzer: the detector reads imgext's copy of what the analyzer will write, not
    // the analyzer's file, so it need not wait for it (which of the two starts or ends first is
    // up to the machine: on docker-20.10 the analyzer is often done before the detector starts).
    const detectorStart = events.find(
      (e) =>
        e.type === 'lifecycle' && e.event.type === 'phase-start' && e.event.phase === 'detector',
    );
    expect(
      detectorStart?.type === 'lifecycle' && detectorStart.event.type === 'phase-start'
        ? detectorStart.event.args
        : [],
    ).toEqual(expect.arrayContaining(['-analyzed', '/layers/imgext-detect-analyzed.toml']));
    for (const branch of ['extend-build', 'extend-run']) {
      const start = at((e) => e.type === 'branch-start' && e.branch === branch);
      expect(start, branch).toBeGreaterThan(detectorEnd);
      expect(start, branch).toBeLessThan(restorerEnd);
    }
    expect(phaseAt('phase-start', 'builder')).toBeGreaterThan(restorerEnd);
    // The phases are exec'd in the session's two hosts, the builder (in the extended image) in
    // one of its own: three containers in all, where one per phase made five.
    expect(containersMade(events).sort()).toEqual(['builder', 'buildpacks', 'lifecycle']);
    const archives = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'archive' ? [e.event.path] : [],
    );
    expect(archives).toContain('/layers');
    expect(events.some((e) => e.type === 'lifecycle' && e.event.type === 'upload-end')).toBe(true);
    const branches = events.flatMap((e) => (e.type === 'branch-end' ? [e] : []));
    expect(branches.map((b) => b.branch).sort()).toEqual(['build', 'extend-build', 'extend-run']);
    for (const b of branches) expect(b.durationMs).toBeGreaterThan(0);
    const applied = events.flatMap((e) =>
      e.type === 'extender' && e.event.type === 'extension.applied' ? [e.event.extension] : [],
    );
    expect(applied.sort()).toEqual(['imgext-samples/build-tool', 'imgext-samples/run-tool']);
    expect(await sessionLeftovers(events)).toEqual([]);
  });

  it('a rebuild extends to the image the last two builds did: its build host is made ahead, while analyze and detect run; a changed extension drops it before the old image is retired', async () => {
    const own = `imgext-test/build-app-ahead-${run}:latest`;
    extraImages.push(own);
    // A local extension whose Dockerfiles give the same image each time (the sample ones take
    // build_id, so they never do), then the builder's own with no build extension.
    const withBuild = await sampleApp('');
    const ext = await markerExtension(join(withBuild, '.ext'));
    const runOnly = await sampleApp('run');
    try {
      const build = async (appDir: string) => {
        const events: BuildEvent[] = [];
        const local =
          appDir === withBuild ? { buildpacks: ['imgext-samples/hello'], extensions: [ext] } : {};
        const summary = await buildApp(
          client,
          { image: own, builder: SAMPLE_BUILDER, appDir, trustBuilder: true, ...local },
          { onEvent: (e) => events.push(e) },
        );
        expect(await sessionLeftovers(events)).toEqual([]);
        const ended = events.flatMap((e) =>
          e.type === 'lifecycle' && e.event.type === 'phase-end' ? [e.event.phase] : [],
        );
        expect(ended).toContain('builder');
        const failed = events.filter(
          (e) => e.type === 'lifecycle' && e.event.type === 'cleanup-failed',
        );
        expect(failed).toEqual([]);
        return { summary, made: containersMade(events).sort() };
      };
      const first = await build(withBuild);
      expect(first.made).toEqual(['builder', 'buildpacks', 'lifecycle']);
      expect(first.summary.buildImage?.applied).toEqual(['imgext-test/marker-ext']);
      // Once is no pattern: the second build makes none ahead, and gives the same image.
      const second = await build(withBuild);
      expect(second.made).toEqual(['builder', 'buildpacks', 'lifecycle']);
      expect(second.summary.buildImage).toEqual(first.summary.buildImage);
      // Twice is: the builder runs in the host made ahead, no other is made for it.
      const third = await build(withBuild);
      expect(third.made).toEqual(['builder-ahead', 'buildpacks', 'lifecycle']);
      expect(third.summary.buildImage).toEqual(first.summary.buildImage);
      // The extension changed: its new image supersedes the old one, which the host made ahead
      // runs; the host goes first, so the old image is retired (nothing left, nothing refused).
      const generate = join(ext, 'bin', 'generate');
      await writeFile(
        generate,
        (await readFile(generate, 'utf8')).replaceAll('local extension', 'changed extension'),
      );
      const changed = await build(withBuild);
      expect(changed.made.filter((m) => m !== 'builder-ahead')).toEqual([
        'builder',
        'buildpacks',
        'lifecycle',
      ]);
      expect(changed.summary.buildImage?.imageId).not.toBe(first.summary.buildImage?.imageId);
      expect(await client.images.find(first.summary.buildImage!.imageId)).toBeUndefined();
      // No build extension now: the buildpacks host runs the builder, and none is made ahead.
      const other = await build(runOnly);
      expect(other.made).toEqual(['buildpacks', 'lifecycle']);
      expect(other.summary.buildImage).toBeUndefined();
    } finally {
      await removeDirIfAny(withBuild);
      await removeDirIfAny(runOnly);
      const caches = cacheVolumes(own);
      for (const v of [caches.build, caches.launch])
        await client.volumes.remove(v, { force: true }).catch(() => undefined);
    }
  });

  it('a rebuild whose build extension takes build_id (a new image each build): no host is made ahead, and no image of an earlier build is left', async () => {
    const own = `imgext-test/build-app-ahead-fresh-${run}:latest`;
    extraImages.push(own);
    const appDir = await sampleApp('build');
    try {
      const images: string[] = [];
      for (let i = 0; i < 4; i++) {
        const events: BuildEvent[] = [];
        const summary = await buildApp(
          client,
          { image: own, builder: SAMPLE_BUILDER, appDir, trustBuilder: true },
          { onEvent: (e) => events.push(e) },
        );
        expect(await sessionLeftovers(events)).toEqual([]);
        expect(containersMade(events)).not.toContain('builder-ahead');
        images.push(summary.buildImage!.imageId);
      }
      expect(new Set(images).size).toBe(images.length);
      for (const id of images.slice(0, -1)) expect(await client.images.find(id)).toBeUndefined();
    } finally {
      await removeDirIfAny(appDir);
      const caches = cacheVolumes(own);
      for (const v of [caches.build, caches.launch])
        await client.volumes.remove(v, { force: true }).catch(() => undefined);
    }
  });

  it('phaseHosts false: a container per phase, each timed and removed, the same image', async () => {
    app ??= await sampleApp('build run');
    const events: BuildEvent[] = [];
    const summary = await buildApp(
      client,
      { image, builder: SAMPLE_BUILDER, appDir: app, trustBuilder: true, phaseHosts: false },
      { onEvent: (e) => events.push(e) },
    );
    expect(summary.runImage).toMatchObject({ applied: ['imgext-samples/run-tool'] });
    // Timings for a benchmark: each phase container's own run and its removal (off the critical
    // path).
    const timings = events.flatMap((e) =>
      e.type === 'lifecycle' && e.event.type === 'phase-timing' ? [e.event] : [],
    );
    expect(timings.map((t) => t.phase).sort()).toEqual([
      'analyzer',
      'builder',
      'detector',
      'exporter',
      'restorer',
    ]);
    for (const t of timings) expect(t.processMs, JSON.stringify(t)).toBeGreaterThanOrEqual(0);
    expect(await sessionLeftovers(events)).toEqual([]);
  });

  it('a rebuild with an unchanged run extension writes the run layout from the host cache: the same image', async () => {
    app ??= await sampleApp('build run');
    const cacheDir = await mkdtemp(join(tmpdir(), 'imgext-test-run-layouts-'));
    const before = process.env.IMGEXT_RUN_LAYOUT_CACHE;
    process.env.IMGEXT_RUN_LAYOUT_CACHE = cacheDir;
    try {
      const build = async () => {
        const done: Array<{ passes: number }> = [];
        await buildApp(
          client,
          { image, builder: SAMPLE_BUILDER, appDir: app!, trustBuilder: true },
          {
            onEvent: (e) => {
              if (e.type === 'extender' && e.event.type === 'layout.done') done.push(e.event);
            },
          },
        );
        return { done, layers: (await client.images.inspect(image)).RootFS.Layers };
      };
      const first = await build();
      const again = await build();
      expect(first.done.map((d) => d.passes)).toEqual([1]);
      expect(again.done.map((d) => d.passes)).toEqual([0]);
      expect(again.layers).toEqual(first.layers);
    } finally {
      if (before === undefined) delete process.env.IMGEXT_RUN_LAYOUT_CACHE;
      else process.env.IMGEXT_RUN_LAYOUT_CACHE = before;
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('a builder the daemon lacks with pull policy never: ERR_BUILDER_NOT_FOUND, no event', async () => {
    const events: BuildEvent[] = [];
    const build = buildApp(
      client,
      {
        image: 'imgext-test/never:latest',
        builder: 'imgext-test/no-such-builder:latest',
        appDir: '.',
        pullPolicy: 'never',
      },
      { onEvent: (e) => events.push(e) },
    );
    await expect(build).rejects.toMatchObject({
      name: 'BuildAppError',
      code: 'ERR_BUILDER_NOT_FOUND',
    });
    expect(events).toEqual([]);
  });

  it('pull policy always, the pull fails, the daemon has the builder: says the pull failed and why', async () => {
    // A registry nobody listens on (loopback): the pull fails, the local tag stays.
    const local = '127.0.0.1:1/imgext-test/local-only-builder:latest';
    await client.images.tag(SAMPLE_BUILDER, '127.0.0.1:1/imgext-test/local-only-builder', 'latest');
    try {
      const err = await buildApp(client, {
        image: 'imgext-test/never:latest',
        builder: local,
        appDir: '.',
        pullPolicy: 'always',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        name: 'BuildAppError',
        code: 'ERR_BUILDER_PULL_FAILED',
        hint: expect.stringContaining('if-not-present'),
      });
      expect((err as Error).message).toContain(`builder ${local} could not be pulled`);
      expect((err as Error).message).not.toContain('is not in the daemon');
      expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await client.images.remove(local).catch(() => undefined);
    }
  });

  it('two builds of one image at once: the second waits for the first and restores its cache', async () => {
    const dir = await sampleApp('build');
    try {
      const events: Record<'a' | 'b', BuildEvent[]> = { a: [], b: [] };
      /** Both builds' events in the order they came, as "<build> <what>". */
      const order: string[] = [];
      const start = (who: 'a' | 'b') =>
        buildApp(
          client,
          { image: shared, builder: SAMPLE_BUILDER, appDir: dir, trustBuilder: true },
          {
            onEvent: (e) => {
              events[who].push(e);
              if (e.type === 'waiting-for-build') order.push(`${who} waits`);
              if (e.type === 'waited-for-build') order.push(`${who} goes on`);
              if (e.type === 'lifecycle' && e.event.type === 'phase-start')
                order.push(`${who} ${e.event.phase}`);
              if (e.type === 'lifecycle' && e.event.type === 'phase-end')
                order.push(`${who} ${e.event.phase} done`);
            },
          },
        );
      const [a, b] = await Promise.all([start('a'), start('b')]);
      const waiters = (['a', 'b'] as const).filter((w) =>
        events[w].some((e) => e.type === 'waiting-for-build'),
      );
      expect(waiters, order.join('\n')).toHaveLength(1);
      const second = waiters[0]!;
      const first = second === 'a' ? 'b' : 'a';
      // The second waited from before the first's analyzer to after its exporter.
      const at = (what: string) => order.indexOf(what);
      expect(at(`${second} waits`)).toBeLessThan(at(`${first} exporter done`));
      expect(at(`${second} goes on`)).toBeGreaterThan(at(`${first} exporter done`));
      expect(at(`${second} analyzer`)).toBeGreaterThan(at(`${second} goes on`));
      const waiting = events[second].find((e) => e.type === 'waiting-for-build');
      expect(waiting).toMatchObject({ image: shared, holder: { pid: process.pid } });
      // The second restored what the first's build wrote into the cache.
      const count = (w: 'a' | 'b') =>
        events[w].flatMap((e) =>
          e.type === 'lifecycle' &&
          e.event.type === 'phase-log' &&
          e.event.line.includes('hello: build number')
            ? [e.event.line]
            : [],
        );
      expect(count(first)).toEqual([expect.stringContaining('build number 1 of this app')]);
      expect(count(second)).toEqual([expect.stringContaining('build number 2 of this app')]);
      // Both images were exported whole; the tag is the second's.
      for (const s of [a, b]) expect(s.buildImage?.applied).toEqual(['imgext-samples/build-tool']);
      const last = second === 'a' ? a : b;
      expect((await client.images.inspect(shared)).Id).toBe(last.imageId);
      for (const s of [a, b])
        if (s.imageId && s.imageId !== last.imageId) extraImages.push(s.imageId);
      expect(await sessionLeftovers(events.a)).toEqual([]);
      expect(await sessionLeftovers(events.b)).toEqual([]);
      const locks = await client.containers.list({
        all: true,
        filters: { label: [`${LOCK_LABEL}=${shared}`] },
      });
      expect(locks).toEqual([]);
    } finally {
      await removeDirIfAny(dir);
    }
  });

  it('while it waits for another build: its session is set up, no cache is touched; Ctrl-C removes the session, leaves the lock to its holder', async () => {
    const held = await acquireBuildLock(client, { image: shared, lockImage: SAMPLE_BUILDER });
    try {
      const controller = new AbortController();
      const events: BuildEvent[] = [];
      const volumesBefore = await cacheVolumesOf(shared);
      let helperMade!: () => void;
      const helper = new Promise<void>((resolve) => {
        helperMade = resolve;
      });
      const build = buildApp(
        client,
        { image: shared, builder: SAMPLE_BUILDER, appDir: '.', trustBuilder: true },
        {
          signal: controller.signal,
          onEvent: (e) => {
            events.push(e);
            if (
              e.type === 'lifecycle' &&
              e.event.type === 'resource' &&
              e.event.action === 'created' &&
              e.event.kind === 'container'
            )
              helperMade();
          },
        },
      );
      build.catch(() => undefined);
      // The session's helper container is made while the lock is still held by another.
      await helper;
      const cachesWhileWaiting = await cacheVolumesOf(shared);
      controller.abort(new Error('SIGINT'));
      await expect(build).rejects.toThrow('SIGINT');
      expect(events.filter((e) => e.type !== 'lifecycle').map((e) => e.type)).toEqual([
        'build-start',
        'lifecycle-image',
        'waiting-for-build',
      ]);
      expect(cachesWhileWaiting).toEqual(volumesBefore);
      expect(await cacheVolumesOf(shared)).toEqual(volumesBefore);
      expect(await sessionLeftovers(events)).toEqual([]);
      const locks = await client.containers.list({
        all: true,
        filters: { label: [`${LOCK_LABEL}=${shared}`] },
      });
      expect(locks.map((l) => l.Names[0])).toEqual([`/${buildLockName(shared)}`]);
    } finally {
      await held.release();
    }
  });
});
