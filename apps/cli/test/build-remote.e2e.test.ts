/**
 * `imgext build` against the private daemon reached over tcp+TLS on 127.0.0.1, as a remote daemon:
 * the app and every file travel through volumes and the archive API, and the daemon-access
 * phases get the daemon's own socket (IMGEXT_DAEMON_SOCKET), never a client path. Then the same
 * endpoint goes away in the middle of a build.
 */
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildArgv,
  leftovers,
  Made,
  removeSessionsOf,
  runCli,
  runImage,
  sampleApp,
} from './build-harness.js';
import { startTlsDaemon, type TlsDaemon } from './tls-daemon.js';

let local: EngineClient;
let socketPath: string;
const made = new Made();
const daemons: TlsDaemon[] = [];

beforeAll(async () => {
  local = await EngineClient.connect();
  if (local.endpoint.transport !== 'unix')
    throw new Error('these tests need DOCKER_HOST=unix://... of a private daemon');
  socketPath = local.endpoint.host.replace(/^unix:\/\//, '');
});

afterAll(async () => {
  for (const d of daemons) await d.close();
  await made.remove(local);
  await local?.close();
});

async function remoteBuild(
  name: string,
  daemon: TlsDaemon,
  onLine?: (l: Record<string, unknown>) => void,
) {
  const image = `imgext-test/remote-${name}:latest`;
  made.image(image);
  const app = await sampleApp('build run');
  made.dir(app);
  const env = { ...process.env, ...daemon.env, IMGEXT_DAEMON_SOCKET: socketPath };
  const run = await runCli(buildArgv(image, app), { env, ...(onLine ? { onLine } : {}) });
  return { image, run };
}

describe('imgext build through a remote (tcp+TLS) daemon', () => {
  it('builds with build and run extensions; the image runs', async () => {
    const daemon = await startTlsDaemon(socketPath);
    daemons.push(daemon);
    const { image, run } = await remoteBuild('tls', daemon);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await leftovers(local, image)).toEqual({ containers: 0, volumes: 0, image: true });
    const out = await runImage(local, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image tool: run-tool 1.0');
  });

  it('the daemon going away mid-build: a connection error, exit code 1, no hang', async () => {
    const daemon = await startTlsDaemon(socketPath);
    daemons.push(daemon);
    const started = Date.now();
    const { image, run } = await remoteBuild('gone', daemon, (l) => {
      if (l.type === 'extension.start') void daemon.cut();
    });
    expect(run.code).toBe(1);
    const error = run.lines.find((l) => l.type === 'error');
    expect(String(error?.code)).toMatch(/^ENGINE_/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await local.images.find(image)).toBeUndefined();
    // The client could not clean up a daemon it cannot reach: remove what its session left
    // (only this build's: other tests build on the same engine meanwhile).
    await removeSessionsOf(local, image);
  });
});
