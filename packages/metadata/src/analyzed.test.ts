import { describe, expect, it } from 'vitest';
import {
  type Analyzed,
  parseAnalyzed,
  runImageTarget,
  serializeAnalyzed,
  withDetected,
} from './analyzed.js';

describe('runImageTarget', () => {
  it('takes os, arch and variant from the config, distro and id from the labels', () => {
    expect(
      runImageTarget({
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
        labels: {
          'io.buildpacks.base.distro.name': 'debian',
          'io.buildpacks.base.distro.version': '12',
          'io.buildpacks.base.id': 'org.example.stack',
          other: 'x',
        },
      }),
    ).toEqual({
      os: 'linux',
      arch: 'arm64',
      'arch-variant': 'v8',
      distro: { name: 'debian', version: '12' },
      id: 'org.example.stack',
    });
  });

  it('leaves out what the image does not say; one distro label makes a distro', () => {
    expect(runImageTarget({ os: 'linux', architecture: 'amd64', labels: null })).toEqual({
      os: 'linux',
      arch: 'amd64',
    });
    expect(
      runImageTarget({
        os: 'linux',
        architecture: 'amd64',
        labels: { 'io.buildpacks.base.distro.name': 'ubuntu' },
      }).distro,
    ).toEqual({ name: 'ubuntu', version: '' });
  });
});

describe('withDetected', () => {
  const analyzer = parseAnalyzed(
    [
      '[image]',
      'reference = "sha256:prev"',
      '[run-image]',
      'reference = "sha256:run"',
      'image = "example/run"',
      '[run-image.target]',
      'os = "linux"',
      'arch = "amd64"',
    ].join('\n'),
  );
  const provisional: Analyzed = {
    runImage: {
      reference: 'sha256:run',
      image: 'example/run',
      target: { os: 'linux', arch: 'amd64' },
    },
    rest: {},
  };

  it('nothing changed by detect: the analyzer file as it is', () => {
    expect(withDetected(analyzer, provisional, provisional)).toBe(analyzer);
  });

  it('an extension of the run image: extend set, the rest of the analyzer file kept', () => {
    const detected = { ...provisional, runImage: { ...provisional.runImage, extend: true } };
    const merged = withDetected(analyzer, provisional, detected);
    expect(merged.runImage).toEqual({ ...analyzer.runImage, extend: true });
    expect(merged.rest).toEqual(analyzer.rest);
  });

  it('a switch: the new run image replaces the old, its target cleared, the previous image kept', () => {
    const detected: Analyzed = {
      runImage: { reference: 'example/other', image: 'example/other', extend: true },
      rest: {},
    };
    const merged = withDetected(analyzer, provisional, detected);
    expect(merged.runImage).toEqual({
      reference: 'example/other',
      image: 'example/other',
      extend: true,
    });
    expect(merged.rest.image).toEqual({ reference: 'sha256:prev' });
    expect(serializeAnalyzed(merged)).not.toContain('[run-image.target]');
  });
});
