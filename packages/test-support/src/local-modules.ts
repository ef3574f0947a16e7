// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is shell and Dockerfile syntax, not a template
/**
 * Local buildpack and extension folders for the tests of pack's `--buildpack ./dir`: small shell
 * modules for the busybox sample stack whose effect shows in the built image.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A buildpack folder: bin/build writes `marker` into a launch layer. */
export async function markerBuildpack(dir: string, marker: string, id = 'imgext-test/marker') {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await writeFile(
    join(dir, 'buildpack.toml'),
    `api = "0.10"\n\n[buildpack]\nid = "${id}"\nversion = "0.1.0"\n`,
  );
  await writeFile(join(dir, 'bin', 'detect'), '#!/bin/sh\nexit 0\n');
  await writeFile(
    join(dir, 'bin', 'build'),
    [
      '#!/bin/sh',
      'set -eu',
      'layers=${CNB_LAYERS_DIR:-$1}',
      'mkdir -p "$layers/marker"',
      `echo "${marker}" >"$layers/marker/marker.txt"`,
      // What a local build extension wrote into the build image, if one did.
      'cat /etc/imgext-local-build >"$layers/marker/build-ext.txt" 2>/dev/null || echo none >"$layers/marker/build-ext.txt"',
      'printf "[types]\\nlaunch = true\\n" >"$layers/marker.toml"',
      'echo "marker: wrote the marker"',
      '',
    ].join('\n'),
  );
  await chmod(join(dir, 'bin', 'detect'), 0o755);
  await chmod(join(dir, 'bin', 'build'), 0o755);
  return dir;
}

/** An extension folder whose build.Dockerfile and run.Dockerfile each write a file. */
export async function markerExtension(dir: string, id = 'imgext-test/marker-ext') {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await writeFile(
    join(dir, 'extension.toml'),
    `api = "0.10"\n\n[extension]\nid = "${id}"\nversion = "0.2.0"\n`,
  );
  const dockerfile = (what: string) =>
    [
      'ARG base_image',
      'FROM ${base_image}',
      'USER root',
      `RUN echo "${what} from the local extension" >/etc/imgext-local-${what}`,
      'ARG user_id',
      'ARG group_id',
      'USER ${user_id}:${group_id}',
    ].join('\n');
  await writeFile(
    join(dir, 'bin', 'generate'),
    [
      '#!/bin/sh',
      'set -eu',
      'out=${CNB_OUTPUT_DIR:?}',
      `cat >"$out/build.Dockerfile" <<'EOF'\n${dockerfile('build')}\nEOF`,
      `cat >"$out/run.Dockerfile" <<'EOF'\n${dockerfile('run')}\nEOF`,
      '',
    ].join('\n'),
  );
  await chmod(join(dir, 'bin', 'generate'), 0o755);
  return dir;
}
