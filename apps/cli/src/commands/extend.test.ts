// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { buildContext, CONTEXT_DOCKERFILE } from '@imgext/extender';
import { captureOutput } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { splitTag } from './extend.js';

const host = process.env.DOCKER_HOST;
const RUN_IMAGE = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const run = Math.random().toString(36).slice(2, 8);

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'imgext-cli-extend-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe('splitTag', () => {
  it('keeps a registry port in the repository', () => {
    expect(splitTag('127.0.0.1:5000/a/b')).toEqual({ repo: '127.0.0.1:5000/a/b', tag: 'latest' });
    expect(splitTag('127.0.0.1:5000/a/b:v1')).toEqual({ repo: '127.0.0.1:5000/a/b', tag: 'v1' });
    expect(splitTag('imgext-test/x')).toEqual({ repo: 'imgext-test/x', tag: 'latest' });
  });
});

describe.skipIf(!host)('imgext extend (against the real engine at DOCKER_HOST)', () => {
  const engine = new EngineClient();
  const dirs: string[] = [];
  const base = `imgext-test/cli-extend-base:${run}`;
  const tag = `imgext-test/cli-extended:${run}`;
  const label = `imgext-test.cli=${run}`;

  beforeAll(async () => {
    // A base unique to this run: everything built on it carries `label`, which afterAll removes.
    await engine.images.build(buildContext({ dockerfile: `FROM ${RUN_IMAGE}\nLABEL ${label}\n` }), {
      dockerfile: CONTEXT_DOCKERFILE,
      tags: [base],
      networkMode: 'none',
    });
  });

  afterAll(async () => {
    for (let pass = 0; pass < 3; pass++) {
      const images = await engine.images.list({ all: true, filters: { label: [label] } });
      images.sort((a, b) => b.Created - a.Created);
      for (const i of images)
        await engine.images.remove(i.Id, { force: true }).catch(() => undefined);
    }
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await engine.close();
  }, 600_000);

  it('applies a run folder, tags it, writes the layout and prints the JSON result', async () => {
    const generated = await tree({
      'imgext-test_cli/run.Dockerfile':
        'FROM ${base_image}\nUSER root\nRUN mkdir -p /opt && echo cli > /opt/cli\nLABEL io.buildpacks.rebasable=true\nUSER 1000:1000\n',
      'group.toml': '[[group-extensions]]\nid = "imgext-test/cli"\nversion = "1"\n',
    });
    const layout = join(generated, 'layout');
    dirs.push(generated);
    const io = captureOutput();
    const code = await main(
      [
        'extend',
        '--kind',
        'run',
        '--generated',
        generated,
        '--group',
        join(generated, 'group.toml'),
        '--base',
        base,
        '--tag',
        tag,
        '--layout',
        layout,
        '--network',
        'none',
        '--json',
      ],
      { ...io.streams, env: process.env },
    );
    const lines = io
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(code, io.stdout() + io.stderr()).toBe(0);
    const result = lines.at(-1);
    const baseInspect = await engine.images.inspect(base);
    expect(result.rebasable).toBe(true);
    expect(result.runImage).toEqual({
      reference: baseInspect.Id,
      topLayer: baseInspect.RootFS.Layers!.at(-1),
    });
    expect(result.applied).toEqual([
      {
        extension: 'imgext-test/cli',
        dockerfile: join(generated, 'imgext-test_cli/run.Dockerfile'),
        imageId: result.imageId,
      },
    ]);
    expect(result.warnings).toEqual([]);
    expect((await engine.images.inspect(tag)).Id).toBe(result.imageId);
    expect(lines.some((l) => l.type === 'extension.applied')).toBe(true);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    // one new layer + config + manifest
    expect((await readdir(join(layout, 'blobs', 'sha256'))).length).toBe(3);
  });

  it('prints only the image ID for humans, warnings on stderr', async () => {
    const generated = await tree({
      'build/imgext-test_old/Dockerfile': 'ARG base_image\nFROM ${base_image}\nEXPOSE 8080\n',
    });
    dirs.push(generated);
    const io = captureOutput();
    const code = await main(
      ['extend', '--kind', 'build', '--generated', generated, '--base', base],
      {
        ...io.streams,
        env: process.env,
      },
    );
    expect(code, io.stderr()).toBe(0);
    expect(io.stdout().trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(io.stderr()).toContain('EXPOSE on line 3 is not recommended');
  });

  it('fails with exit 1 and the extension and line in the message', async () => {
    const generated = await tree({ 'imgext-test_bad/build.Dockerfile': 'FROM ${base_image}\n' });
    dirs.push(generated);
    const io = captureOutput();
    const code = await main(
      ['extend', '--kind', 'build', '--generated', generated, '--base', base],
      {
        ...io.streams,
        env: process.env,
      },
    );
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(/ERR_DOCKERFILE_INVALID.*imgext-test_bad.*build.Dockerfile:1/);
  });

  it('refuses --layout for the build kind (usage, exit 2)', async () => {
    const io = captureOutput();
    const code = await main(
      ['extend', '--kind', 'build', '--generated', '.', '--base', base, '--layout', '/tmp/x'],
      { ...io.streams, env: process.env },
    );
    expect(code).toBe(2);
    expect(io.stderr()).toContain('--layout applies to --kind run only');
  });
});
