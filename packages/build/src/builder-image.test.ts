import type { ImageInspect } from '@imgext/engine-client';
import { describe, expect, it } from 'vitest';
import { builderMetadata, cnbUser } from './builder-image.js';
import { cacheVolumes } from './cache-volumes.js';

const image = (config: { Env?: string[]; Labels?: Record<string, string> }) =>
  ({ Id: 'sha256:0', Config: config }) as unknown as ImageInspect;

describe('the builder image', () => {
  it('cnbUser: CNB_USER_ID / CNB_GROUP_ID of the image env', () => {
    const builder = image({ Env: ['PATH=/bin', 'CNB_USER_ID=1000', 'CNB_GROUP_ID=1001'] });
    expect(cnbUser(builder, 'b')).toEqual({ uid: 1000, gid: 1001 });
  });

  it('cnbUser: ERR_NOT_A_BUILDER when either is missing or not a number', () => {
    for (const Env of [['CNB_USER_ID=1000'], ['CNB_USER_ID=x', 'CNB_GROUP_ID=1'], []]) {
      expect(() => cnbUser(image({ Env }), 'b')).toThrow(
        expect.objectContaining({ code: 'ERR_NOT_A_BUILDER' }),
      );
    }
  });

  it('builderMetadata: ERR_NOT_A_BUILDER with a hint for an image without the label', () => {
    expect(() => builderMetadata(image({ Labels: {} }), 'busybox')).toThrow(
      expect.objectContaining({
        code: 'ERR_NOT_A_BUILDER',
        hint: expect.stringContaining('io.buildpacks.builder.metadata'),
      }),
    );
  });

  it('cacheVolumes: one cache for the spellings of one image, as pack keys them', () => {
    const a = cacheVolumes('app');
    expect(cacheVolumes('app:latest')).toEqual(a);
    expect(cacheVolumes('docker.io/library/app:latest')).toEqual(a);
    expect(cacheVolumes('app:2').build).not.toBe(a.build);
  });

  it('cacheVolumes: stable per image, distinct between images', () => {
    const a = cacheVolumes('imgext-test/a:latest');
    expect(cacheVolumes('imgext-test/a:latest')).toEqual(a);
    expect(a.build).toMatch(/^imgext-cache-[0-9a-f]{16}-build$/);
    expect(a.launch).toBe(a.build.replace(/-build$/, '-launch'));
    expect(cacheVolumes('imgext-test/b:latest').build).not.toBe(a.build);
  });
});
