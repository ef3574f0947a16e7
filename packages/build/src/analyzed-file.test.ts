import { LifecycleError } from '@imgext/lifecycle';
import { parseAnalyzed, serializeAnalyzed } from '@imgext/metadata';
import { describe, expect, it } from 'vitest';
import { isReuseDiffIdError, withoutPreviousImage } from './analyzed-file.js';

const ANALYZED = `
[image]
  reference = "sha256:912a08e9582da19d1ac79f5c0aa6e1944abc2e35f751fe901ca32a0481f3b95e"

[metadata]
  [metadata.config]
    sha = "sha256:a5e4"
  [[metadata.buildpacks]]
    key = "imgext-bench/hello"
    version = "0.0.1"

[run-image]
  reference = "sha256:4c1f"
  image = "imgext.local/stack/debian:run"
  extend = true

[build-image]
  reference = "imgext.local/stack/debian:build"
`;

describe('withoutPreviousImage', () => {
  it('drops [image] and [metadata], keeps the run and build image', () => {
    const out = parseAnalyzed(serializeAnalyzed(withoutPreviousImage(parseAnalyzed(ANALYZED))));
    expect(out.rest.image).toBeUndefined();
    expect(out.rest.metadata).toBeUndefined();
    expect(out.runImage).toEqual({
      reference: 'sha256:4c1f',
      image: 'imgext.local/stack/debian:run',
      extend: true,
    });
    expect(out.rest['build-image']).toEqual({ reference: 'imgext.local/stack/debian:build' });
  });
});

describe('isReuseDiffIdError', () => {
  const daemonLine =
    'ERROR: failed to export: failed to write image to the following tags: [index.docker.io/library/app:latest: loading image "index.docker.io/library/app:latest". first error: embedded daemon response: invalid diffID for layer 6: expected "sha256:f8cc", got "sha256:83d8"]';
  const failed = (phase: string, line: string) =>
    new LifecycleError('ERR_PHASE_FAILED', `${phase} failed with exit code 62`, {
      phase,
      phaseExitCode: 62,
      logTail: ['Saving app...', line],
    });

  it("is the exporter's invalid diffID from the daemon", () => {
    expect(isReuseDiffIdError(failed('exporter', daemonLine))).toBe(true);
  });

  // The real lines of the upstream lifecycle v0.21.17 (export-retry.test.ts), per engine.
  it("is Docker's containerd image store's wrong diff id on extraction", () => {
    const line =
      '\u001b[31;1mERROR: \u001b[0mfailed to export: failed to write image to the following tags: [index.docker.io/imgext-test/export-retry-b4sri1-retry:latest: loading image "index.docker.io/imgext-test/export-retry-b4sri1-retry:latest". first error: embedded daemon response: failed to unpack loaded image: wrong diff id calculated on extraction "sha256:83d85471d9f8a3834b4e27cf701e3f0aef220cc816d9c173c7d32cd73909a590"]';
    expect(isReuseDiffIdError(failed('exporter', line))).toBe(true);
  });

  it("is podman's layer tarfile used for two different diff IDs, a line of its format list", () => {
    const lines = [
      '\u001b[31;1mERROR: \u001b[0mfailed to export: failed to write image to the following tags: [index.docker.io/imgext-test/export-retry-rr025x-retry:latest: loading image "index.docker.io/imgext-test/export-retry-rr025x-retry:latest". first error: Error response from daemon: failed to load image: payload does not match any of the supported image formats:',
      ' * oci: parsing "localhost/root/.cache/imgext/tmp/api_load.tar4129911060": parsing named reference "localhost/root/.cache/imgext/tmp/api_load.tar4129911060": invalid reference format',
      ' * oci-archive: loading index: open /var/tmp/oci2889247590/index.json: no such file or directory',
      ' * docker-archive: determining manifest MIME type for docker-archive:/root/.cache/imgext/tmp/api_load.tar4129911060:docker.io/imgext-test/export-retry-rr025x-retry:latest: Layer tarfile /sha256:83d85471d9f8a3834b4e27cf701e3f0aef220cc816d9c173c7d32cd73909a590.tar used for two different DiffID values',
      ' * dir: open /root/.cache/imgext/tmp/api_load.tar4129911060/manifest.json: not a directory]',
    ];
    const err = new LifecycleError(
      'ERR_PHASE_FAILED',
      `exporter failed with exit code 62: ${lines[0]}`,
      { phase: 'exporter', phaseExitCode: 62, logTail: ['Saving app...', ...lines] },
    );
    expect(isReuseDiffIdError(err)).toBe(true);
    // podman's list alone (another reason a load fails) is not it.
    const other = new LifecycleError('ERR_PHASE_FAILED', 'exporter failed with exit code 62', {
      phase: 'exporter',
      phaseExitCode: 62,
      logTail: [lines[0] as string, lines[1] as string, ' * docker-archive: unexpected EOF'],
    });
    expect(isReuseDiffIdError(other)).toBe(false);
  });

  it('is not another export failure, another phase, or another error class', () => {
    expect(isReuseDiffIdError(failed('exporter', 'ERROR: failed to export: no space left'))).toBe(
      false,
    );
    expect(isReuseDiffIdError(failed('restorer', daemonLine))).toBe(false);
    expect(isReuseDiffIdError(new Error(daemonLine))).toBe(false);
  });
});
