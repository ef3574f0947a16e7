/**
 * Installable as users install it: every published package is packed (pnpm pack, so workspace:^
 * becomes a version), the tarballs are installed with npm into an empty folder (third-party
 * dependencies from the npm registry, through the project's npm cache), and the installed
 * `imgext` builds the sample app against the real daemon. Then tools/install-cli, the README's
 * one command, installs it the same way into a prefix.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EngineClient } from '@imgext/engine-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Made, runImage, SAMPLE_BUILDER, sampleApp } from './build-harness.js';

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, '../../..');
const cache = process.env.IMGEXT_CACHE ?? join(homedir(), '.cache/imgext');
const npmCache = join(cache, 'npm-cache');
let client: EngineClient;
const made = new Made();
let work: string;

function pnpmBin(): string {
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const version = String(manifest.packageManager ?? '').replace(/^pnpm@/, '');
  const cached = join(cache, 'pnpm', version, 'node_modules/.bin/pnpm');
  return existsSync(cached) ? cached : 'pnpm';
}

beforeAll(async () => {
  client = await EngineClient.connect();
  work = await mkdtemp(join(tmpdir(), 'imgext-install-'));
});

afterAll(async () => {
  await made.remove(client);
  if (work) await rm(work, { recursive: true, force: true });
  await client?.close();
});

const env = () => ({
  ...process.env,
  npm_config_cache: npmCache,
  npm_config_update_notifier: 'false',
});

describe('installing imgext from packed tarballs', () => {
  it('pnpm pack every published package, npm install them into an empty folder, imgext build from there', async () => {
    const pnpm = pnpmBin();
    await exec(pnpm, ['build'], { cwd: repo, env: env(), maxBuffer: 1 << 24 });
    const tarballs = join(work, 'tarballs');
    const published: string[] = [];
    for (const dir of [
      ...(await readdir(join(repo, 'packages'))).map((d) => `packages/${d}`),
      'apps/cli',
    ]) {
      const manifest = JSON.parse(await readFile(join(repo, dir, 'package.json'), 'utf8'));
      if (manifest.private) continue;
      published.push(manifest.name);
      await exec(pnpm, ['pack', '--pack-destination', tarballs], {
        cwd: join(repo, dir),
        env: env(),
      });
    }
    expect(published.sort()).toEqual([
      '@imgext/build',
      '@imgext/engine-client',
      '@imgext/extender',
      '@imgext/lifecycle',
      '@imgext/metadata',
      'imgext',
    ]);
    const files = (await readdir(tarballs)).map((f) => join(tarballs, f));
    expect(files).toHaveLength(published.length);
    const app = join(work, 'app');
    await exec('mkdir', ['-p', app]);
    await exec('npm', ['init', '-y'], { cwd: app, env: env() });
    await exec('npm', ['install', '--no-audit', '--no-fund', ...files], {
      cwd: app,
      env: env(),
      maxBuffer: 1 << 24,
    });
    // Nothing of the workspace: every @imgext package is a real folder from its tarball.
    for (const name of published) {
      const pkg = JSON.parse(
        await readFile(join(app, 'node_modules', name, 'package.json'), 'utf8'),
      );
      expect(JSON.stringify(pkg.dependencies ?? {})).not.toContain('workspace:');
      expect(existsSync(join(app, 'node_modules', name, 'src'))).toBe(false);
    }
    // The command runs from its bundle (a few modules, their source maps beside them).
    const cli = join(app, 'node_modules/imgext/dist/cli');
    expect(existsSync(join(cli, 'imgext.js'))).toBe(true);
    expect(existsSync(join(cli, 'imgext.js.map'))).toBe(true);
    const bin = join(app, 'node_modules/.bin/imgext');
    const version = await exec(bin, ['--version'], { cwd: app, env: env() });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);

    const image = made.image('imgext-test/installed-cli:latest');
    const sample = made.dir(await sampleApp('build run'));
    const { stdout } = await exec(
      bin,
      ['build', image, '--builder', SAMPLE_BUILDER, '--path', sample, '--trust-builder'],
      { cwd: app, env: env(), maxBuffer: 1 << 24 },
    );
    expect(stdout).toContain(`Successfully built image ${image}`);
    const out = await runImage(client, image);
    expect(out).toContain('built with: build-tool 1.0');
    expect(out).toContain('run image tool: run-tool 1.0');
  }, 600_000);

  it('tools/install-cli --prefix DIR (the README command) puts a working imgext in DIR/bin', async () => {
    const prefix = join(work, 'prefix');
    await exec(join(repo, 'tools/install-cli'), ['--prefix', prefix], {
      cwd: repo,
      env: env(),
      maxBuffer: 1 << 24,
    });
    const { stdout } = await exec(
      join(prefix, 'bin/imgext'),
      ['builder', 'inspect', SAMPLE_BUILDER, '--json'],
      {
        env: env(),
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
      type: 'result',
      builder: SAMPLE_BUILDER,
    });
  }, 600_000);
});
