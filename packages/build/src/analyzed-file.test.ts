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

  it('is not another export failure, another phase, or another error class', () => {
    expect(isReuseDiffIdError(failed('exporter', 'ERROR: failed to export: no space left'))).toBe(
      false,
    );
    expect(isReuseDiffIdError(failed('restorer', daemonLine))).toBe(false);
    expect(isReuseDiffIdError(new Error(daemonLine))).toBe(false);
  });
});
