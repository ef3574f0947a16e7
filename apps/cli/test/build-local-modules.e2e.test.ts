/**
 * `imgext build` with local buildpacks and extensions (pack's `-b ./dir`, `--extension ./ext`,
 * project.toml group entries with a `uri`): the real daemon and lifecycle of the sample builder.
 * The built image shows what the local modules wrote; a module that is not one is a usage error
 * (exit 2, a stable code) before anything is made in the engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { markerBuildpack, markerExtension } from '@imgext/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArgv, leftovers, Made, runCli, sampleApp } from './build-harness.js';

let client: EngineClient;
const made = new Made();
let scratch: string;

beforeAll(async () => {
  client = await EngineClient.connect();
  scratch = made.dir(await mkdtemp(join(tmpdir(), 'imgext-local-modules-cli-')));
});

afterAll(async () => {
  await made.remove(client);
  await client?.close();
});

/** `cat` of a file in the image. */
async function catIn(image: string, path: string): Promise<string> {
  let out = '';
  const { exitCode } = await client.containers.run(
    { Image: image, Entrypoint: ['cat'], Cmd: [path], HostConfig: { NetworkMode: 'none' } },
    { onOutput: (c) => (out += c.data.toString()) },
  );
  if (exitCode !== 0) throw new Error(`cat ${path} in ${image}: ${exitCode} ${out}`);
  return out;
}

/**
 * The session containers and volumes of builds of `image` still there, by that label alone
 * (podman matches any one of several label filters, so the harness's count can see others').
 */
async function sessionsLeft(image: string): Promise<string[]> {
  const filters = { label: [`io.imgext.build=${image}`] };
  return [
    ...(await client.containers.list({ all: true, filters })).map((c) => c.Id),
    ...(await client.volumes.list({ filters })).map((v) => v.Name),
  ];
}

const result = (run: { lines: Array<Record<string, unknown>> }) =>
  run.lines.find((l) => l.type === 'result');

describe('imgext build: local buildpacks and extensions', () => {
  it('-b ./folder (relative to the current folder) and --extension ./folder with -b <builder id>: the image has what they wrote', async () => {
    const image = made.image('imgext-test/local-modules-cli:latest');
    const bp = await markerBuildpack(join(scratch, 'bp'), 'marker from -b');
    const ext = await markerExtension(join(scratch, 'ext'));
    const app = made.dir(await sampleApp(''));
    const run = await runCli(
      buildArgv(image, app, [
        '-b',
        `./${relative(process.cwd(), bp)}`,
        '-b',
        'imgext-samples/hello',
        '--extension',
        ext,
      ]),
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(result(run)).toMatchObject({
      extensions: ['imgext-test/marker-ext'],
      buildImage: { applied: ['imgext-test/marker-ext'] },
      runImage: { applied: ['imgext-test/marker-ext'] },
    });
    expect(await catIn(image, '/layers/imgext-test_marker/marker/marker.txt')).toBe(
      'marker from -b\n',
    );
    expect(await catIn(image, '/layers/imgext-test_marker/marker/build-ext.txt')).toBe(
      'build from the local extension\n',
    );
    expect(await catIn(image, '/etc/imgext-local-run')).toBe('run from the local extension\n');
    expect(await sessionsLeft(image)).toEqual([]);
    expect(await leftovers(client, image)).toMatchObject({ containers: 0, image: true });
  }, 120_000);

  it('project.toml: a group entry with a relative uri (a .tgz) and one with an id, a pre group uri folder', async () => {
    const image = made.image('imgext-test/local-modules-descriptor:latest');
    const dir = join(scratch, 'descriptor');
    await mkdir(join(dir, 'modules'), { recursive: true });
    const src = await markerBuildpack(
      join(scratch, 'tgz-src'),
      'marker from a .tgz',
      'imgext-test/tgz',
    );
    execFileSync('tar', ['-czf', join(dir, 'modules', 'marker.tgz'), '-C', src, '.']);
    await markerBuildpack(join(dir, 'modules', 'pre'), 'marker from pre', 'imgext-test/pre');
    await writeFile(
      join(dir, 'project.toml'),
      [
        '[_]',
        'schema-version = "0.2"',
        '[[io.buildpacks.pre.group]]',
        'uri = "modules/pre"',
        '[[io.buildpacks.group]]',
        'uri = "./modules/marker.tgz"',
        '[[io.buildpacks.group]]',
        'id = "imgext-samples/hello"',
        'version = "0.0.1"',
        '',
      ].join('\n'),
    );
    const app = made.dir(await sampleApp(''));
    const run = await runCli(buildArgv(image, app, ['-d', join(dir, 'project.toml')]));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await catIn(image, '/layers/imgext-test_tgz/marker/marker.txt')).toBe(
      'marker from a .tgz\n',
    );
    expect(await catIn(image, '/layers/imgext-test_pre/marker/marker.txt')).toBe(
      'marker from pre\n',
    );
    const md = JSON.parse(
      (await client.images.inspect(image)).Config?.Labels?.['io.buildpacks.build.metadata'] ?? '{}',
    );
    expect(md.buildpacks.map((b: { id: string }) => b.id)).toEqual([
      'imgext-test/pre',
      'imgext-test/tgz',
      'imgext-samples/hello',
    ]);
    // No warning that the descriptor's buildpacks are left out.
    expect(run.lines.filter((l) => l.type === 'warning')).toEqual([]);
  }, 120_000);

  it('what is not a buildpack or extension: exit 2, a stable code naming the file, nothing made', async () => {
    const image = 'imgext-test/local-modules-bad:latest';
    const bad = join(scratch, 'bad');
    await mkdir(join(bad, 'empty'), { recursive: true });
    const bp = await markerBuildpack(join(bad, 'bp'), 'x');
    const ext = await markerExtension(join(bad, 'ext'));
    const toml = await markerBuildpack(join(bad, 'toml'), 'x');
    await writeFile(join(toml, 'buildpack.toml'), 'api = "0.10"\n[buildpack\n');
    const nodetect = await markerBuildpack(join(bad, 'nodetect'), 'x');
    await rm(join(nodetect, 'bin', 'detect'));
    const nogen = await markerExtension(join(bad, 'nogen'));
    await rm(join(nogen, 'bin', 'generate'));
    await writeFile(join(bad, 'junk.tgz'), 'certainly not a tar archive\n'.repeat(30));
    const inline = join(bad, 'inline.toml');
    await writeFile(
      inline,
      '[_]\nschema-version = "0.2"\n[[io.buildpacks.group]]\nid = "me/inline"\n[io.buildpacks.group.script]\napi = "0.10"\ninline = "echo hi"\n',
    );
    const app = made.dir(await sampleApp(''));
    for (const [extra, code, message] of [
      [
        ['-b', join(bad, 'nope')],
        'ERR_LOCAL_MODULE_NOT_FOUND',
        `--buildpack ${join(bad, 'nope')}: no such folder or archive`,
      ],
      [
        ['-b', './does-not-exist'],
        'ERR_LOCAL_MODULE_NOT_FOUND',
        '--buildpack ./does-not-exist: no such folder or archive',
      ],
      [
        ['-b', join(bad, 'empty')],
        'ERR_LOCAL_MODULE_NO_DESCRIPTOR',
        'has neither buildpack.toml nor extension.toml',
      ],
      [['-b', ext], 'ERR_LOCAL_MODULE_WRONG_KIND', `--buildpack ${ext}: is an extension`],
      [['--extension', bp], 'ERR_LOCAL_MODULE_WRONG_KIND', `--extension ${bp}: is a buildpack`],
      [['-b', toml], 'ERR_LOCAL_MODULE_INVALID', `${join(toml, 'buildpack.toml')}: not valid TOML`],
      [['-b', nodetect], 'ERR_LOCAL_MODULE_MISSING_BIN', 'has no bin/detect'],
      [['--extension', nogen], 'ERR_LOCAL_MODULE_MISSING_BIN', 'has no bin/generate'],
      [['-b', join(bad, 'junk.tgz')], 'ERR_LOCAL_MODULE_ARCHIVE', 'junk.tgz is not a tar archive'],
      [
        ['-d', inline],
        'IMGEXT_USAGE',
        'inline buildpacks ([io.buildpacks.group.script]) are not supported',
      ],
      [
        ['-b', 'docker://some/bp'],
        'IMGEXT_USAGE',
        '--buildpack docker://some/bp: only ids on the builder',
      ],
    ] as const) {
      const run = await runCli(buildArgv(image, app, [...extra]));
      const what = `${extra.join(' ')}: ${run.stdout}${run.stderr}`;
      expect(run.code, what).toBe(2);
      const error = run.lines.find((l) => l.type === 'error');
      expect(error, what).toMatchObject({ code });
      expect(String(error?.message), what).toContain(message);
      // Nothing was asked of the engine: no build event before the error.
      expect(
        run.lines.filter((l) => l.type === 'build.start'),
        what,
      ).toEqual([]);
    }
    expect(await sessionsLeft(image)).toEqual([]);
    expect(await leftovers(client, image)).toMatchObject({ containers: 0, image: false });
  }, 120_000);
});
