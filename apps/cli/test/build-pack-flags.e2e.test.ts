/**
 * pack's `imgext build` flags against the real daemon, lifecycle and local registry: each flag's
 * effect is observed in the built image, the registry, the phase logs or the files it writes.
 * A probe builder (the sample builder whose buildpack also reports its user, its env files and a
 * mounted volume, prints a coloured line and declares a second process) shows what the build
 * phase saw.
 */
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '@imgext/engine-client';
import { packFiles } from '@imgext/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Made, runCli, SAMPLE_BUILDER, sampleApp } from './build-harness.js';

const registry = process.env.IMGEXT_REGISTRY ?? '127.0.0.1:5000';
const STACK_RUN = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';
const probeBuilder = 'imgext-test/probe-builder:latest';
const HELLO_BIN = '/cnb/buildpacks/imgext-samples_hello/0.0.1/bin';
const ESC = '\u001b';

const PROBE_BUILD = `#!/bin/sh
set -eu
"$0.orig" "$@"
platform=\${CNB_PLATFORM_DIR:-$2}
layers=\${CNB_LAYERS_DIR:-$1}
echo "probe id: $(id -u) $(id -g)"
if [ -f $platform/env/A ]; then echo "probe env: A=$(cat $platform/env/A) B=$(cat $platform/env/B)"; fi
if [ -f $platform/env/BARE_UNSET ]; then echo "probe bare: BARE_SET=$(cat $platform/env/BARE_SET) BARE_UNSET=[$(cat $platform/env/BARE_UNSET)]"; fi
if [ -f /probe-volume/message ]; then
  if touch /probe-volume/written 2>/dev/null; then mode=rw; else mode=ro; fi
  echo "probe volume: $(cat /probe-volume/message) ($mode)"
fi
printf "\\033[31mprobe red\\033[0m\\n"
printf "[[processes]]\\ntype = \\"probe\\"\\ncommand = [\\"echo\\", \\"probe process\\"]\\n" >> $layers/launch.toml
`;

let client: EngineClient;
const made = new Made();
let app: string;
let scratch: string;

/** A RUN step writing `text` (no single quotes) to `path`, executable. */
function writeFileStep(path: string, text: string): string {
  const lines = text.trimEnd().split('\n');
  if (lines.some((l) => l.includes("'"))) throw new Error('writeFileStep: no single quotes');
  return `RUN printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')} > ${path} && chmod 755 ${path}`;
}

beforeAll(async () => {
  client = await EngineClient.connect();
  made.image(probeBuilder);
  const dockerfile = [
    `FROM ${SAMPLE_BUILDER}`,
    'USER root',
    writeFileStep('/probe-build', PROBE_BUILD),
    `RUN mv ${HELLO_BIN}/build ${HELLO_BIN}/build.orig && cp /probe-build ${HELLO_BIN}/build`,
    'USER 1000:1000',
    '',
  ].join('\n');
  await client.images.build(
    packFiles([{ path: 'Dockerfile', content: dockerfile }], { uid: 0, gid: 0 }),
    { tags: [probeBuilder], networkMode: 'none' },
  );
  app = made.dir(await sampleApp(''));
  scratch = made.dir(await mkdtemp(join(tmpdir(), 'imgext-pack-flags-')));
}, 120_000);

afterAll(async () => {
  await made.remove(client);
  await client?.close();
});

const build = (
  image: string,
  extra: string[],
  env: Record<string, string | undefined> = process.env,
) =>
  runCli(['build', image, '--builder', probeBuilder, '--path', app, '--trust-builder', ...extra], {
    env,
  });

/** The text of the builder phase's log lines (--json). */
const builderLog = (lines: Array<Record<string, unknown>>) =>
  lines
    .filter((l) => l.type === 'log' && l.source === 'builder')
    .map((l) => String(l.text))
    .join('\n');

describe('imgext build: pack flags', () => {
  const first = made.image('imgext-test/pack-flags:latest');

  it('-t, -D, --creation-time, --uid/--gid, --volume, --env-file (twice), bare --env, --insecure-registry, --report-output-dir, --sbom-output-dir, colours stripped in --json', async () => {
    const extra1 = made.image('imgext-test/pack-flags-extra:one');
    const extra2 = made.image('imgext-test/pack-flags-extra:two');
    const volume = join(scratch, 'volume');
    await mkdir(volume, { mode: 0o777 });
    await writeFile(join(volume, 'message'), 'from the host\n', { mode: 0o644 });
    const envA = join(scratch, 'a.env');
    const envB = join(scratch, 'b.env');
    await writeFile(envA, 'A=from-first\nB=from-first\n');
    await writeFile(envB, '# the later file wins\nA=from-second\n');
    const report = join(scratch, 'report');
    const sbom = join(scratch, 'sbom');
    const run = await build(
      first,
      [
        '--json',
        ...['-t', extra1, '--tag', extra2],
        ...['-D', 'probe'],
        ...['--creation-time', '1700000000'],
        ...['--uid', '2345', '--gid', '2346'],
        ...['--volume', `${volume}:/probe-volume`],
        ...['--env-file', envA, '--env-file', envB],
        ...['--env', 'BARE_SET', '--env', 'BARE_UNSET'],
        ...['--report-output-dir', report, '--sbom-output-dir', sbom],
        ...['--insecure-registry', '127.0.0.1:5999', '--insecure-registry', 'registry.test:5000'],
      ],
      { ...process.env, BARE_SET: 'yes', BARE_UNSET: undefined },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const image = await client.images.inspect(first);
    // -t: the same image under every name.
    for (const tag of [extra1, extra2])
      expect((await client.images.inspect(tag)).Id).toBe(image.Id);
    expect(run.lines.at(-1)).toMatchObject({ type: 'result', tags: [extra1, extra2] });
    // -D: the launcher starts the probe process by default.
    expect(image.Config?.Entrypoint).toEqual(['/cnb/process/probe']);
    // --creation-time: SOURCE_DATE_EPOCH of the exporter.
    expect(new Date(String(image.Created)).toISOString()).toBe('2023-11-14T22:13:20.000Z');
    const log = builderLog(run.lines);
    expect(log).toContain('probe id: 2345 2346');
    expect(log).toContain('probe volume: from the host (ro)');
    expect(log).toContain('probe env: A=from-second B=from-first');
    // pack: a bare --env VAR unset in the environment is an empty value.
    expect(log).toContain('probe bare: BARE_SET=yes BARE_UNSET=[]');
    // Colour codes never reach JSON text.
    expect(log).toContain('probe red');
    expect(run.stdout).not.toContain('\\u001b');
    expect(run.stdout).not.toContain(ESC);
    // What each phase was handed (names of env variables only; JSON has no colour: CNB_NO_COLOR).
    const started = Object.fromEntries(
      run.lines.filter((l) => l.type === 'phase.start').map((l) => [String(l.phase), l]),
    );
    for (const phase of ['analyzer', 'restorer', 'exporter']) {
      expect(started[phase]?.env, phase).toContain('CNB_INSECURE_REGISTRIES');
    }
    for (const phase of ['analyzer', 'detector', 'restorer', 'builder', 'exporter']) {
      expect(started[phase]?.env, phase).toContain('CNB_NO_COLOR');
    }
    expect(started.builder?.env).not.toContain('CNB_INSECURE_REGISTRIES');
    expect(started.exporter?.args).toEqual(
      expect.arrayContaining(['-uid', '2345', '-gid', '2346', '-process-type', 'probe']),
    );
    expect(((started.exporter?.args ?? []) as string[]).slice(-3)).toEqual([first, extra1, extra2]);
    // The exporter's report, copied out.
    const reportText = await readFile(join(report, 'report.toml'), 'utf8');
    expect(reportText).toContain('[image]');
    expect(reportText).toContain(extra1);
    expect((await stat(sbom)).isDirectory()).toBe(true);
    // The volume stayed read-only: nothing written into the host folder.
    await expect(stat(join(volume, 'written'))).rejects.toThrow();
  });

  it('--volume :rw is writable; -H wins over DOCKER_HOST; --force-color keeps the codes', async () => {
    const image = made.image('imgext-test/pack-flags-second:latest');
    const volume = join(scratch, 'volume-rw');
    await mkdir(volume);
    await writeFile(join(volume, 'message'), 'writable\n');
    // The builder phase runs as the builder's CNB user (1000): the host folder lets it write.
    await chmod(volume, 0o777);
    const host = process.env.DOCKER_HOST;
    const run = await build(
      image,
      ['-H', String(host), '--force-color', '--volume', `${volume}:/probe-volume:rw`],
      { ...process.env, DOCKER_HOST: 'unix:///nonexistent/imgext-test.sock' },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('probe volume: writable (rw)');
    expect(run.stderr).toContain(`${ESC}[31mprobe red${ESC}[0m`);
    expect((await stat(join(volume, 'written'))).isFile()).toBe(true);
  });

  it('-q: the result only, no progress and no phase logs', async () => {
    const image = made.image('imgext-test/pack-flags-quiet:latest');
    const run = await build(image, ['-q']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toMatch(
      /^Successfully built image imgext-test\/pack-flags-quiet:latest \(sha256:[0-9a-f]{64}\)$/,
    );
  });

  it('--publish -t: every name pushed, the digest printed is the one the registry serves; --previous-image reuses its layers', async () => {
    const runImage = made.image(`${registry}/imgext-test/pack-flags-run:latest`);
    await client.images.tag(STACK_RUN, `${registry}/imgext-test/pack-flags-run`, 'latest');
    await client.images.push(runImage);
    const image = made.image(`${registry}/imgext-test/pack-flags-pub:latest`);
    const extra = made.image(`${registry}/imgext-test/pack-flags-pub:extra`);
    const run = await build(image, ['--publish', '--run-image', runImage, '-t', extra]);
    expect(run.code, run.stderr).toBe(0);
    const printed = /Pushed \S+@(sha256:[0-9a-f]{64})/.exec(run.stdout)?.[1];
    expect(printed, run.stdout).toBeDefined();
    for (const tag of ['latest', 'extra']) {
      const res = await fetch(`http://${registry}/v2/imgext-test/pack-flags-pub/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          accept:
            'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('docker-content-digest')).toBe(printed);
    }
    // New names (the registry outlives the test), the first image as the previous one: its app layer is reused, not added.
    const run36 = Date.now().toString(36);
    const next = made.image(`${registry}/imgext-test/pack-flags-pub-next-${run36}:latest`);
    const again = await build(next, [
      '--publish',
      '--run-image',
      runImage,
      '--previous-image',
      image,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("Reusing layer 'imgext-samples/hello:hello'");
    // A name never pushed before: no previous image to reuse.
    const without = made.image(`${registry}/imgext-test/pack-flags-pub-fresh-${run36}:latest`);
    const fresh = await build(without, ['--publish', '--run-image', runImage]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain("Adding layer 'imgext-samples/hello:hello'");
  }, 180_000);

  it('bad values: exit 2 naming the flag, nothing run', async () => {
    const image = 'imgext-test/pack-flags-bad:latest';
    for (const [extra, message] of [
      [['--volume', '/x:relative'], '--volume "/x:relative": the target path must be absolute'],
      [['--creation-time', 'yesterday'], '--creation-time "yesterday"'],
      [['--uid', '-1'], '--uid must be a whole number >= 0'],
      [['-b', './my-buildpack'], '--buildpack ./my-buildpack: no such folder or archive'],
      [
        ['--extension', 'docker://some/ext'],
        '--extension docker://some/ext: only ids on the builder',
      ],
      [['-t', 'Bad:Tag'], '--tag: "Bad:Tag" is not a valid image reference'],
      [['--docker-host', 'tcp://127.0.0.1:2375'], '--docker-host tcp://127.0.0.1:2375'],
      [['-q', '-v'], '--quiet and --verbose exclude each other'],
    ] as const) {
      const run = await build(image, [...extra]);
      expect(run.code, `${extra.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(message);
    }
    expect(await client.images.find(image)).toBeUndefined();
  });

  it('-b/--buildpack and --extension: ids on the builder replace its order and order-extensions', async () => {
    const both = made.dir(await sampleApp('build run'));
    const image = made.image('imgext-test/pack-flags-order:latest');
    const argv = (extra: string[]) => [
      'build',
      image,
      '--builder',
      SAMPLE_BUILDER,
      '--path',
      both,
      '--trust-builder',
      '--json',
      ...extra,
    ];
    // The builder's own order: both extensions apply.
    const all = await runCli(argv([]));
    expect(all.code, all.stdout).toBe(0);
    expect(all.lines.at(-1)?.extensions).toEqual([
      'imgext-samples/build-tool',
      'imgext-samples/run-tool',
    ]);
    // Only run-tool in order-extensions; the buildpack given with its version.
    const some = await runCli(
      argv(['--extension', 'imgext-samples/run-tool', '-b', 'imgext-samples/hello@0.0.1']),
    );
    expect(some.code, some.stdout).toBe(0);
    expect(some.lines.at(-1)?.extensions).toEqual(['imgext-samples/run-tool']);
    const missing = await runCli(argv(['-b', 'imgext-samples/nope']));
    expect(missing.code).toBe(1);
    expect(missing.lines.at(-1)).toMatchObject({ code: 'ERR_NOT_ON_BUILDER' });
    expect(String(missing.lines.at(-1)?.message)).toContain('imgext-samples/hello@0.0.1');
  }, 120_000);
});
