import { describe, expect, it } from 'vitest';
import {
  BUILDER_METADATA_LABEL,
  LIFECYCLE_METADATA_LABEL,
  parseBuilderMetadata,
  readLifecycleRunImage,
  runImageMetadataOf,
} from './labels.js';
import { apiAtLeast, negotiatePlatformApi, usesNewGeneratedLayout } from './platform-api.js';
import { rebasableAfter } from './rebasable.js';
import { isRootUser, userArgs } from './user.js';

describe('rebasable (the spec rule: AND over what each Dockerfile itself sets)', () => {
  it('is true only when every applied Dockerfile sets it', () => {
    expect(rebasableAfter([{ setsRebasable: true }, { setsRebasable: true }])).toBe(true);
    expect(rebasableAfter([{ setsRebasable: true }, { setsRebasable: false }])).toBe(false);
    expect(rebasableAfter([{ setsRebasable: false }])).toBe(false);
    expect(rebasableAfter([])).toBeUndefined();
  });
});

describe('labels', () => {
  it('takes the run image top layer and reference from inspect data', () => {
    expect(
      runImageMetadataOf({ Id: 'sha256:r', RootFS: { Layers: ['sha256:a', 'sha256:b'] } }),
    ).toEqual({
      topLayer: 'sha256:b',
      reference: 'sha256:r',
    });
    expect(() => runImageMetadataOf({ Id: 'x', RootFS: {} })).toThrow(/no layers/);
  });

  it('reads runImage from the lifecycle metadata label', () => {
    const labels = {
      [LIFECYCLE_METADATA_LABEL]: JSON.stringify({
        runImage: { topLayer: 'sha256:t', reference: 'r' },
      }),
    };
    expect(readLifecycleRunImage(labels)).toEqual({ topLayer: 'sha256:t', reference: 'r' });
    expect(readLifecycleRunImage({})).toBeUndefined();
  });

  it('parses builder metadata in the apis and the legacy form', () => {
    const md = parseBuilderMetadata({
      [BUILDER_METADATA_LABEL]: JSON.stringify({
        images: [{ image: 'run:1', mirrors: ['m/run:1'] }],
        extensions: [{ id: 'samples/tree', version: '0.0.1' }],
        lifecycle: {
          version: '0.21.17',
          apis: { platform: { deprecated: ['0.7'], supported: ['0.12', '0.13', '0.15'] } },
        },
      }),
    });
    expect(md).toMatchObject({
      lifecycleVersion: '0.21.17',
      platformApis: ['0.12', '0.13', '0.15', '0.7'],
      runImages: [{ image: 'run:1', mirrors: ['m/run:1'] }],
      extensions: [{ id: 'samples/tree', version: '0.0.1' }],
    });
    const legacy = parseBuilderMetadata({
      [BUILDER_METADATA_LABEL]: JSON.stringify({
        stack: { runImage: { image: 'old-run' } },
        lifecycle: { api: { platform: '0.4' } },
      }),
    });
    expect(legacy).toMatchObject({
      platformApis: ['0.4'],
      runImages: [{ image: 'old-run', mirrors: [] }],
    });
    expect(() => parseBuilderMetadata({})).toThrow(/missing/);
  });
});

describe('platform API', () => {
  it('negotiates the highest common version', () => {
    expect(negotiatePlatformApi(['0.7', '0.12', '0.13', '0.15', '0.16'])).toBe('0.15');
    expect(negotiatePlatformApi(['0.10', '0.11'])).toBe('0.11');
    expect(() => negotiatePlatformApi(['0.3', '0.9'])).toThrow(/no common platform API/);
  });
  it('compares numerically', () => {
    expect(apiAtLeast('0.13', '0.9')).toBe(true);
    expect(usesNewGeneratedLayout('0.12')).toBe(false);
    expect(usesNewGeneratedLayout('0.13')).toBe(true);
  });
});

describe('users', () => {
  it('splits User into build args and detects root', () => {
    expect(userArgs('1000:1000')).toEqual({ user_id: '1000', group_id: '1000' });
    expect(userArgs('cnb')).toEqual({ user_id: 'cnb', group_id: '' });
    expect(userArgs('')).toEqual({ user_id: '0', group_id: '' });
    expect(isRootUser('root:staff')).toBe(true);
    expect(isRootUser('0')).toBe(true);
    expect(isRootUser(undefined)).toBe(true);
    expect(isRootUser('1000:0')).toBe(false);
  });
});
