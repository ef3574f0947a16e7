/**
 * The session against the real daemon ($DOCKER_HOST) and the real lifecycle in the sample builder
 * (tools/env up makes it): files in and out through the archive API, phases with their users and
 * logs, failures, abort, and nothing left behind.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { SAMPLE_APP, SAMPLE_BUILDER, testEngines } from '@imgext/test-support';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonSocketFor } from './daemon-socket.js';
import type { LifecycleEvent } from './events.js';
import { LifecycleSession, SESSION_LABEL } from './lifecycle-session.js';
import { analyzerArgs, detectorArgs } from './phase-args.js';

const builder = SAMPLE_BUILDER;
const sampleApp = SAMPLE_APP;
const emptyApp = resolve(import.meta.dirname, '../test/fixtures/no-greeting-app');
const owner = { uid: 1000, gid: 1000 };

let client: EngineClient;
let tmp: string;

beforeAll(async () => {
  client = await EngineClient.connect();
  tmp = await mkdtemp(join(tmpdir(), 'imgext-lifecycle-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await client?.close();
});

async function open(
  events: LifecycleEvent[],
  opts: { test?: string; signal?: AbortSignal; phaseHosts?: boolean } = {},
): Promise<LifecycleSession> {
  return LifecycleSession.create(
    {
      ...(opts.phaseHosts === undefined ? {} : { phaseHosts: opts.phaseHosts }),
      client,
      builderImage: builder,
      platformApi: '0.13',
      owner,
      daemonSocket: daemonSocketFor(client.endpoint),
      extensions: true,
      labels: { 'io.imgext.test': opts.test ?? 'lifecycle-session' },
      onEvent: (e) => events.push(e),
    },
    opts.signal,
  );
}

async function leftovers(session: LifecycleSession): Promise<number> {
  const filters = { label: [`${SESSION_LABEL}=${session.id}`] };
  const containers = await client.containers.list({ all: true, filters });
  const volumes = await client.volumes.list({ filters });
  return containers.length + volumes.length;
}

describe('LifecycleSession', () => {
  it('copies the app in, runs analyze and detect, copies their files out, and cleans up', async () => {
    const events: LifecycleEvent[] = [];
    const session = await open(events);
    try {
      await session.putApp(sampleApp);
      await session.putPlatformEnv({ SAMPLE_EXTENSIONS: 'build run' });
      await session.runPhase(
        'analyzer',
        analyzerArgs({ image: 'imgext-test/session:latest', ...owner, daemon: true }),
      );
      await session.runPhase('detector', detectorArgs({ logLevel: 'debug' }));

      const group = await session.readFile('/layers/group.toml');
      expect(group).toContain('imgext-samples/build-tool');
      expect(group).toContain('imgext-samples/run-tool');
      expect(await session.readFile('/layers/analyzed.toml')).toMatch(/extend = true/);
      expect(await session.readFile('/layers/nothing-here.toml')).toBeUndefined();

      expect(await session.copyOut('/layers/generated', tmp)).toBe(true);
      const dockerfile = await readFile(
        join(tmp, 'generated/imgext-samples_build-tool/build.Dockerfile'),
        'utf8',
      );
      expect(dockerfile).toMatch(/^FROM \$\{base_image\}$/m);

      const logs = events.filter((e) => e.type === 'phase-log').map((e) => `${e.phase}: ${e.line}`);
      expect(logs).toContain('detector: pass: imgext-samples/hello@0.0.1');
      const starts = events.flatMap((e) =>
        e.type === 'phase-start' ? [`${e.phase} as ${e.user}`] : [],
      );
      expect(starts).toEqual(['analyzer as 0:0', 'detector as 1000:1000']);
      expect(events.filter((e) => e.type === 'phase-end').every((e) => e.exitCode === 0)).toBe(
        true,
      );
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
  });

  it('phase hosts: each phase runs as an exec in one of two long-lived containers, one container per phase when off', async () => {
    const containersMade = (events: LifecycleEvent[]) =>
      events.flatMap((e) =>
        e.type === 'resource' && e.action === 'created' && e.kind === 'container'
          ? [e.name.replace(`imgext-${session.id}-`, '')]
          : [],
      );
    let events: LifecycleEvent[] = [];
    let session = await open(events);
    try {
      await session.putApp(sampleApp);
      const analyze = () =>
        session.runPhase(
          'analyzer',
          analyzerArgs({ image: 'imgext-test/session:latest', ...owner, daemon: true }),
        );
      await analyze();
      await session.runPhase('detector', detectorArgs({}));
      await analyze(); // again, in the same host
      expect(containersMade(events)).toEqual(['buildpacks', 'lifecycle']);
      // The hosts run the pause program as PID 1, as root and as the CNB user.
      const hosts = await client.containers.list({
        all: true,
        filters: { label: [`${SESSION_LABEL}=${session.id}`] },
      });
      expect(hosts.map((h) => h.State).sort()).toEqual(['running', 'running']);
      for (const h of hosts) {
        const info = await client.containers.inspect(h.Id);
        expect(info.Config.Entrypoint).toEqual(['/.imgext-pause']);
        expect(info.Config.User).toBe(info.Name.endsWith('-lifecycle') ? '0:0' : '1000:1000');
      }
      expect(events.filter((e) => e.type === 'phase-end').map((e) => e.exitCode)).toEqual([
        0, 0, 0,
      ]);
      expect(await session.readFile('/layers/group.toml')).toContain('imgext-samples/hello');
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);

    events = [];
    session = await open(events, { phaseHosts: false });
    try {
      await session.putApp(sampleApp);
      await session.runPhase('detector', detectorArgs({}));
      expect(containersMade(events)).toEqual(['files', 'detector']);
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
  });

  it(`a host made ahead (anticipateHost) is the phase's if it asks for that image; otherwise, or if it cannot be made, the phase is run as before and nothing is left`, async () => {
    const events: LifecycleEvent[] = [];
    const session = await open(events);
    const made = () =>
      events.flatMap((e) =>
        e.type === 'resource' && e.action === 'created' && e.kind === 'container'
          ? [e.name.replace(`imgext-${session.id}-`, '').replace(/-ahead-\d+$/, '-ahead')]
          : [],
      );
    // Made ahead and running (its making waits for the hosts being started, then takes a while).
    const ahead = async (n: number) => {
      for (let i = 0; i < 200; i++) {
        const hosts = await client.containers.list({
          all: true,
          filters: { label: [`${SESSION_LABEL}=${session.id}`] },
        });
        const name = `/imgext-${session.id}-detector-ahead-${n}`;
        if (hosts.some((c) => c.Names?.includes(name) && c.State === 'running')) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the host made ahead did not come up');
    };
    const detected = async (image?: string) => {
      await session.runPhase('detector', detectorArgs({}), image ? { image } : {});
      expect(await session.readFile('/layers/group.toml')).toContain('imgext-samples/hello');
    };
    try {
      await session.putApp(sampleApp);
      // The same image: the phase runs in the host made ahead, no other is made for it.
      session.anticipateHost('detector', { image: builder });
      await detected(builder);
      expect(made()).toEqual(['buildpacks', 'detector-ahead']);
      // Another image (the same one by ID): the one made ahead goes, the phase gets its own.
      const { Id } = await client.images.inspect(builder);
      session.anticipateHost('detector', { image: builder });
      await ahead(2);
      // Its network: the buildpacks host's namespace (none: loopback only), not one of its own.
      const hosts = await client.containers.list({
        all: true,
        filters: { label: [`${SESSION_LABEL}=${session.id}`] },
      });
      const id = (suffix: string) =>
        hosts.find((h) => h.Names?.includes(`/imgext-${session.id}-${suffix}`))?.Id;
      const info = await client.containers.inspect(id('detector-ahead-2') ?? 'missing');
      expect(info.HostConfig?.NetworkMode).toBe(`container:${id('buildpacks')}`);
      await detected(Id);
      expect(made().slice(2)).toEqual(['detector-ahead', 'detector']);
      // No image of its own after all: it runs in the buildpacks host.
      session.anticipateHost('detector', { image: builder });
      await ahead(3);
      await detected();
      expect(made().slice(4)).toEqual(['detector-ahead']);
      // An image that is not there: nothing is made ahead, the phase is not hurt.
      session.anticipateHost('detector', { image: 'imgext-test/not-there:never' });
      await detected(builder);
      expect(made().slice(5)).toEqual(['detector']);
      // An image made only after the host was asked for (a rebuild whose remembered image was
      // removed, then made again by the extension): the phase gets a host of it.
      const later = `imgext-test/made-later-${session.id}:latest`;
      session.anticipateHost('detector', { image: later });
      await new Promise((r) => setTimeout(r, 500)); // its making has failed by now
      const [repo, tag] = later.split(':') as [string, string];
      await client.images.tag(builder, repo, tag);
      try {
        await detected(later);
      } finally {
        await client.images.remove(later).catch(() => undefined);
      }
      // One still being made when the session goes.
      session.anticipateHost('detector', { image: builder });
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
    expect(events.filter((e) => e.type === 'phase-end').map((e) => e.exitCode)).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('the app arrives owned by the CNB user', async () => {
    const session = await open([]);
    try {
      await session.putApp(sampleApp);
      const { exitCode } = await client.containers.run({
        Image: builder,
        Entrypoint: [],
        Cmd: [
          'sh',
          '-c',
          'test -f /workspace/greeting.txt && test "$(stat -c %u:%g /workspace /workspace/greeting.txt | sort -u)" = 1000:1000',
        ],
        HostConfig: {
          Mounts: [{ Type: 'volume', Source: session.volumes.workspace, Target: '/workspace' }],
          NetworkMode: 'none',
        },
      });
      expect(exitCode).toBe(0);
    } finally {
      await session.dispose();
    }
  });

  it('reports a failed detection with a stable code and leaves nothing behind', async () => {
    const session = await open([]);
    try {
      await session.putApp(emptyApp);
      await expect(session.runPhase('detector', detectorArgs({}))).rejects.toMatchObject({
        code: 'ERR_DETECT_FAILED',
        phase: 'detector',
      });
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
  });

  it('an abort stops the phase and dispose removes everything', async () => {
    const controller = new AbortController();
    const session = await open([]);
    try {
      await session.putApp(sampleApp);
      const running = session.runPhase('detector', ['-log-level', 'debug'], {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Error('test abort')), 50);
      await expect(running).rejects.toBeInstanceOf(Error);
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
  });

  it('an abort while the session is being set up: create rejects or the session is disposed, and nothing of it is left', async () => {
    // A create request given up on the client may still be carried out by the engine; the
    // session must know of every volume and container it asked for (a closed stdout at that
    // moment left the session's volumes behind).
    const test = `abort-setup-${Math.random().toString(36).slice(2, 8)}`;
    const label = `io.imgext.test=${test}`;
    for (const delay of [0, 1, 2, 4, 6, 10, 15]) {
      const controller = new AbortController();
      const opening = open([], { test, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('test abort')), delay);
      const session = await opening.catch(() => undefined);
      await session?.dispose();
    }
    const filters = { label: [label] };
    expect(await client.volumes.list({ filters })).toEqual([]);
    expect(await client.containers.list({ all: true, filters })).toEqual([]);
  });

  it('putApp keeps modes exactly in the volume (000 too), leaves filtered paths out, reports the upload', async () => {
    const app = join(tmp, 'modes-app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    await writeFile(join(app, 'node_modules/dep.js'), 'dep');
    await writeFile(join(app, 'locked'), 'secret');
    await chmod(join(app, 'locked'), 0o000);
    await writeFile(join(app, 'tool'), '#!/bin/sh\n');
    await chmod(join(app, 'tool'), 0o4750);
    const events: LifecycleEvent[] = [];
    const session = await open(events);
    try {
      const sent = await session.putApp(app, undefined, {
        filter: (path) => path !== 'node_modules',
      });
      expect(sent).toMatchObject({ files: 2, excluded: 1 });
      const ex = extract();
      (await session.getArchive('/workspace')).pipe(ex as unknown as NodeJS.WritableStream);
      const seen = new Map<string, { mode: number | undefined; uid: number | undefined }>();
      for await (const entry of ex) {
        // Permission bits only: docker-20.10 also puts the file type's bits in the mode field.
        const mode = entry.header.mode === undefined ? undefined : entry.header.mode & 0o7777;
        seen.set(entry.header.name, { mode, uid: entry.header.uid });
        entry.resume();
      }
      expect(seen.get('workspace/locked')).toEqual({ mode: 0, uid: 1000 });
      expect(seen.get('workspace/tool')).toEqual({ mode: 0o4750, uid: 1000 });
      expect([...seen.keys()].some((n) => n.includes('node_modules'))).toBe(false);
      const kinds = events.flatMap((e) => (e.type.startsWith('upload-') ? [e.type] : []));
      expect(kinds[0]).toBe('upload-start');
      expect(kinds.at(-1)).toBe('upload-end');
      expect(events.find((e) => e.type === 'upload-start')).toMatchObject({
        totalFiles: 2,
        totalBytes: 'secret'.length + '#!/bin/sh\n'.length,
      });
    } finally {
      await session.dispose();
    }
  });

  it('a prepared phase starts when asked; a cancelled or never-started one is removed', async () => {
    const events: LifecycleEvent[] = [];
    const session = await open(events);
    try {
      await session.putApp(sampleApp);
      const detector = session.preparePhase('detector', detectorArgs({}));
      const never = session.preparePhase('restorer', []);
      const cancelled = session.preparePhase('exporter', []);
      cancelled.cancel();
      await new Promise((r) => setTimeout(r, 300)); // created, not started
      expect(events.some((e) => e.type === 'phase-start')).toBe(false);
      await detector.start();
      expect(events.filter((e) => e.type === 'phase-start').map((e) => e.type)).toHaveLength(1);
      void never;
    } finally {
      await session.dispose();
    }
    expect(await leftovers(session)).toBe(0);
    expect(events.some((e) => e.type === 'phase-start' && e.phase !== 'detector')).toBe(false);
  });
});

describe.each(testEngines())('phase hosts on $name', (engine) => {
  it('the buildpacks host stopped after the last buildpack phase still carries archives; dispose leaves nothing', async () => {
    const engineClient = new EngineClient({ host: engine.host });
    await engineClient.apiVersion();
    const session = await LifecycleSession.create({
      client: engineClient,
      builderImage: builder,
      platformApi: '0.13',
      owner,
      daemonSocket: daemonSocketFor(engineClient.endpoint),
      extensions: true,
      labels: { 'io.imgext.test': 'phase-hosts-stop' },
    });
    try {
      await session.putApp(sampleApp);
      await session.runPhase('detector', detectorArgs({}));
      session.buildpackPhasesDone();
      // Straight after: the archive calls wait for the stop under way, then go to the stopped host.
      expect(await session.readFile('/layers/group.toml')).toContain('imgext-samples/hello');
      await session.putFile('/layers/after-stop.toml', 'x = 1\n');
      expect(await session.readFile('/layers/after-stop.toml')).toBe('x = 1\n');
      const hosts = await engineClient.containers.list({
        all: true,
        filters: { label: [`${SESSION_LABEL}=${session.id}`] },
      });
      expect(hosts.map((h) => h.State)).toEqual(['exited']);
    } finally {
      await session.dispose();
    }
    const left = await engineClient.containers.list({
      all: true,
      filters: { label: [`${SESSION_LABEL}=${session.id}`] },
    });
    expect(left).toEqual([]);
    await engineClient.close();
  });
});
