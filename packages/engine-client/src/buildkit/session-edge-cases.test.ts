/**
 * The session's protocol edges, against a fake daemon (test/fake-buildkit.ts): what a real daemon
 * will not do on demand. Everything else is tested on the real daemons (buildkit-build.test.ts).
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { waitUntil } from '@imgext/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerConfigDir } from '../../test/connection/docker-config-dir.js';
import {
  diffCopy,
  type FakeBuildkit,
  fakeBuildkit,
  line,
  PacketType,
  readListing,
  unary,
} from '../../test/fake-buildkit.js';
import type { BuildProgressEvent, EngineClientOptions } from '../api.js';
import { EngineClient } from '../client.js';
import { AbortedError, BuildError, LocalFileError } from '../errors.js';
import { GoMode } from './file-mode.js';

const IMAGE = `sha256:${'ab'.repeat(32)}`;

/** CredentialsResponse{Username = 1, Secret = 2}, as the daemon reads it. */
function credentials(bytes: Uint8Array | undefined): { username: string; secret: string } {
  const out = { username: '', secret: '' };
  const r = new BinaryReader(bytes ?? new Uint8Array());
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) out.username = r.string();
    else if (field === 2) out.secret = r.string();
    else r.skip(wire, field);
  }
  return out;
}

describe('BuildKit session edge cases (fake daemon)', () => {
  let dir: string;
  let fake: FakeBuildkit | undefined;
  let client: EngineClient | undefined;

  beforeEach(() => {
    // In /tmp, not TMPDIR: one test reads it as nobody, and tools/ put TMPDIR in root's home.
    dir = mkdtempSync('/tmp/imgext-bk-edge-');
    chmodSync(dir, 0o755);
  });
  afterEach(async () => {
    await client?.close();
    await fake?.close();
    client = undefined;
    fake = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (
    onBuild: Parameters<typeof fakeBuildkit>[0],
    options: EngineClientOptions = {},
  ) => {
    fake = await fakeBuildkit(onBuild);
    client = new EngineClient({ ...options, host: fake.host });
    return client;
  };

  it('announces its methods, lists in fsutil order with the filters asked, sends content in chunks, answers FIN', async () => {
    writeFileSync(join(dir, 'b.txt'), 'b');
    writeFileSync(join(dir, 'a-b'), 'x'.repeat(100_000));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a/z.log'), 'log');
    writeFileSync(join(dir, 'a/keep.log'), 'keep');
    mkdirSync(join(dir, 'skipped'));
    writeFileSync(join(dir, 'skipped/deep'), 'deep');
    let listing: string[] = [];
    let content = '';
    let status: { code: number; message: string } | undefined;
    const c = await start(async (_req, res, session) => {
      const call = diffCopy(session.h2, {
        'dir-name': 'context',
        'exclude-patterns': ['*/*.log', '!a/keep.log', 'skipped'],
      });
      const stats = await readListing(call);
      listing = stats.map((p) => p.stat!.path);
      const id = listing.indexOf('a-b');
      call.send({ type: PacketType.REQ, id });
      const chunks: Uint8Array[] = [];
      for (;;) {
        const p = await call.next();
        if (!p || p.type !== PacketType.DATA || p.id !== id) throw new Error('expected DATA');
        if (p.data.length === 0) break;
        chunks.push(p.data);
      }
      expect(chunks.length).toBeGreaterThan(1);
      content = Buffer.concat(chunks).toString();
      call.send({ type: PacketType.FIN });
      const fin = await call.next();
      expect(fin?.type).toBe(PacketType.FIN);
      call.end();
      status = await call.status;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line({ id: 'moby.image.id', aux: { ID: IMAGE } }));
    });
    const result = await c.images.build(
      { dir, files: { Dockerfile: 'FROM scratch\n' } },
      { builder: 'buildkit' },
    );
    expect(result.imageId).toBe(IMAGE);
    // '/' sorts before every other byte: a directory's contents come before its next sibling
    // The Dockerfile given in `files` is not in the context; the context's .dockerignore is
    // (listing itself, so that COPY leaves it out).
    expect(listing).toEqual(['.dockerignore', 'a', 'a/keep.log', 'a-b', 'b.txt']);
    expect(content).toBe('x'.repeat(100_000));
    expect(status).toEqual({ code: 0, message: '' });
    const session = await fake!.session;
    const methods: string[] = [];
    for (let i = 0; i < session.rawHeaders.length; i += 2) {
      if (session.rawHeaders[i]!.toLowerCase() === 'x-docker-expose-session-grpc-method') {
        methods.push(session.rawHeaders[i + 1]!);
      }
    }
    expect(methods).toEqual(
      expect.arrayContaining([
        '/grpc.health.v1.Health/Check',
        '/moby.filesync.v1.FileSync/DiffCopy',
        '/moby.filesync.v1.Auth/Credentials',
        '/moby.filesync.v1.Auth/FetchToken',
      ]),
    );
    expect(session.headers['x-docker-expose-session-uuid']).toMatch(/^[0-9a-f]{40}$/);
    expect(fake!.requests.find((r) => r.startsWith('POST /v1.45/build?'))).toContain(
      'remote=client-session',
    );
  });

  it('a session the daemon drops mid-build fails the build with that reason, and cancels it', async () => {
    const c = await start(async (_req, res, session) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line({ stream: 'working\n' }));
      session.socket.destroy();
      // the build answer stays open, as a daemon's would while it waits on the session
    });
    const err = await c.images
      .build({ files: { Dockerfile: 'FROM scratch\n' } }, { builder: 'buildkit' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as Error).message).toMatch(/engine closed the BuildKit session during the build/);
    expect(
      fake!.requests.some((r) => /^POST \/v1\.45\/build\/cancel\?id=[0-9a-f-]{36}$/.test(r)),
    ).toBe(true);
  });

  it('aborting cancels the build by its ID and closes the session', async () => {
    const controller = new AbortController();
    let sessionClosed = false;
    const c = await start(async (_req, res, session) => {
      session.socket.on('close', () => {
        sessionClosed = true;
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(line({ stream: 'running\n' }));
      controller.abort();
    });
    const err = await c.images
      .build(
        { files: { Dockerfile: 'FROM scratch\n' } },
        { builder: 'buildkit', signal: controller.signal },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    const build = fake!.requests.find((r) => r.startsWith('POST /v1.45/build?'))!;
    const buildId = new URL(`http://x${build.slice(5)}`).searchParams.get('buildid');
    expect(buildId).toMatch(/^[0-9a-f-]{36}$/);
    expect(fake!.requests).toContain(`POST /v1.45/build/cancel?id=${buildId}`);
    // our end is closed when the call rejects; the daemon's end sees it a moment later
    await waitUntil(() => sessionClosed, { what: 'the daemon to see the session close' });
  });

  /** The daemon asks for `name` after `beforeRequest` ran; returns the ERR text it got. */
  const askFor = (name: string, beforeRequest: () => void) => {
    let told = '';
    const started = start(async (_req, res, session) => {
      const call = diffCopy(session.h2, { 'dir-name': 'context' });
      const stats = await readListing(call);
      const id = stats.findIndex((p) => p.stat!.path === name);
      beforeRequest();
      call.send({ type: PacketType.REQ, id });
      for (;;) {
        const p = await call.next();
        if (!p) break;
        if (p.type === PacketType.ERR) told = Buffer.from(p.data).toString();
      }
      const status = await call.status;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line({ errorDetail: { message: `error from sender: ${status.message}` } }));
    });
    return { started, told: () => told };
  };

  it('a file that vanished before the daemon asked for it is a LocalFileError naming it', async () => {
    const file = join(dir, 'gone.txt');
    writeFileSync(file, 'soon gone');
    const { started, told } = askFor('gone.txt', () => unlinkSync(file));
    const c = await started;
    const err = await c.images
      .build({ dir, files: { Dockerfile: 'FROM scratch\n' } }, { builder: 'buildkit' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalFileError);
    expect(err).toMatchObject({ code: 'ENGINE_LOCAL_FILE', file, syscallCode: 'ENOENT' });
    expect(told()).toContain(file);
  });

  it('an unreadable file is a LocalFileError naming it, not a connection error', async () => {
    const file = join(dir, 'locked.txt');
    writeFileSync(file, 'secret');
    chmodSync(file, 0o000);
    const { started, told } = askFor('locked.txt', () => {});
    const c = await started;
    // root reads any file: drop to nobody (effective ids only, restored below) for this build
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) {
      process.setegid!(65534);
      process.seteuid!(65534);
    }
    let err: unknown;
    try {
      err = await c.images
        .build({ dir, files: { Dockerfile: 'FROM scratch\n' } }, { builder: 'buildkit' })
        .catch((e: unknown) => e);
    } finally {
      if (asRoot) {
        process.seteuid!(0);
        process.setegid!(0);
      }
    }
    expect(err).toBeInstanceOf(LocalFileError);
    expect(err).toMatchObject({ code: 'ENGINE_LOCAL_FILE', file, syscallCode: 'EACCES' });
    expect((err as Error).message).toContain(`cannot read ${file}`);
    expect(told()).toContain(file);
  });

  it('a symlink loop on a follow path is listed as the two links, and the call completes', async () => {
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    writeFileSync(join(dir, 'other'), 'not asked for');
    let listed: { path: string; mode: number; linkname: string }[] = [];
    let status: { code: number; message: string } | undefined;
    const c = await start(async (_req, res, session) => {
      const call = diffCopy(session.h2, {
        'dir-name': 'dockerfile',
        'include-patterns': ['loop-a'],
        followpaths: ['loop-a'],
      });
      listed = (await readListing(call)).map((p) => ({
        path: p.stat!.path,
        mode: p.stat!.mode,
        linkname: p.stat!.linkname,
      }));
      call.send({ type: PacketType.FIN });
      expect((await call.next())?.type).toBe(PacketType.FIN);
      call.end();
      status = await call.status;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(line({ id: 'moby.image.id', aux: { ID: IMAGE } }));
    });
    const result = await c.images.build({ dir }, { builder: 'buildkit', dockerfile: 'loop-a' });
    expect(result.imageId).toBe(IMAGE);
    expect(listed).toEqual([
      { path: 'loop-a', mode: GoMode.SYMLINK + 0o777, linkname: 'loop-b' },
      { path: 'loop-b', mode: GoMode.SYMLINK + 0o777, linkname: 'loop-a' },
    ]);
    expect(status?.code).toBe(0);
  });

  it('answers Credentials for the one host asked from the docker config, and Unimplemented for tokens', async () => {
    const config = new DockerConfigDir().writeConfig({
      auths: { '127.0.0.1:5000': { auth: Buffer.from('builder:s3cret').toString('base64') } },
      credHelpers: { 'broken.example': 'not-installed' },
    });
    const answers: Record<string, { message: Uint8Array | undefined; code: number }> = {};
    const host = (name: string) =>
      Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]);
    try {
      const events: BuildProgressEvent[] = [];
      const c = await start(
        async (_req, res, session) => {
          for (const name of ['127.0.0.1:5000', 'elsewhere.example', 'broken.example']) {
            answers[name] = await unary(
              session.h2,
              '/moby.filesync.v1.Auth/Credentials',
              host(name),
            );
          }
          answers.token = await unary(session.h2, '/moby.filesync.v1.Auth/FetchToken', host('x'));
          answers.unknown = await unary(
            session.h2,
            '/moby.secrets.v1.Secrets/GetSecret',
            host('x'),
          );
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(line({ id: 'moby.image.id', aux: { ID: IMAGE } }));
        },
        { configDir: config.path },
      );
      await c.images.build(
        { files: { Dockerfile: 'FROM scratch\n' } },
        { builder: 'buildkit', onProgress: (e) => events.push(e) },
      );
      expect(answers['127.0.0.1:5000']!.code).toBe(0);
      expect(credentials(answers['127.0.0.1:5000']!.message)).toEqual({
        username: 'builder',
        secret: 's3cret',
      });
      expect(answers['elsewhere.example']).toMatchObject({ code: 0 });
      expect(answers['elsewhere.example']!.message?.length ?? 0).toBe(0);
      expect(answers['broken.example']).toMatchObject({ code: 0 });
      expect(answers.token).toMatchObject({ code: 12 });
      expect(answers.unknown).toMatchObject({ code: 12 });
      const warnings = events.filter((e) => e.type === 'warning');
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).toContain('broken.example');
      expect(JSON.stringify(events)).not.toContain('s3cret');
    } finally {
      config.remove();
    }
  });
});
