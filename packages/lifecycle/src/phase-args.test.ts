import { describe, expect, it } from 'vitest';
import {
  analyzerArgs,
  builderArgs,
  detectorArgs,
  exporterArgs,
  restorerArgs,
} from './phase-args.js';

const owner = { uid: 1000, gid: 1001 };

describe('phase flags', () => {
  it('analyzer: daemon mode with a launch cache, run image and tags; the image last', () => {
    expect(
      analyzerArgs({
        image: 'app',
        ...owner,
        daemon: true,
        launchCache: true,
        runImage: 'run',
        tags: ['app:v1'],
      }),
    ).toEqual([
      '-uid',
      '1000',
      '-gid',
      '1001',
      '-daemon',
      '-launch-cache',
      '/launch-cache',
      '-run-image',
      'run',
      '-tag',
      'app:v1',
      'app',
    ]);
  });

  it('analyzer: registry mode has neither -daemon nor a launch cache', () => {
    expect(analyzerArgs({ image: 'reg/app', ...owner, daemon: false, launchCache: true })).toEqual([
      '-uid',
      '1000',
      '-gid',
      '1001',
      'reg/app',
    ]);
  });

  it('restorer: -daemon only from platform API 0.12; a cache image replaces the cache dir', () => {
    expect(restorerArgs({ ...owner, platformApi: '0.11', daemon: true, cache: true })).toEqual([
      '-uid',
      '1000',
      '-gid',
      '1001',
      '-cache-dir',
      '/cache',
    ]);
    expect(
      restorerArgs({
        ...owner,
        platformApi: '0.13',
        daemon: true,
        cache: true,
        cacheImage: 'reg/cache',
      }),
    ).toEqual(['-uid', '1000', '-gid', '1001', '-daemon', '-cache-image', 'reg/cache']);
  });

  it('detector and builder: the session paths and the log level', () => {
    const paths = ['-app', '/workspace', '-layers', '/layers', '-platform', '/platform'];
    expect(detectorArgs({ logLevel: 'debug' })).toEqual(['-log-level', 'debug', ...paths]);
    expect(builderArgs({})).toEqual(paths);
  });

  it('exporter: app dir, daemon, caches, image last', () => {
    expect(
      exporterArgs({ image: 'app', ...owner, daemon: true, cache: true, launchCache: true }),
    ).toEqual([
      '-uid',
      '1000',
      '-gid',
      '1001',
      '-app',
      '/workspace',
      '-daemon',
      '-launch-cache',
      '/launch-cache',
      '-cache-dir',
      '/cache',
      'app',
    ]);
  });

  it('exporter: the default process before the image, more tags after it (the exporter has no -tag)', () => {
    expect(
      exporterArgs({
        image: 'app',
        ...owner,
        daemon: false,
        tags: ['app:v1', 'other/app:v1'],
        processType: 'worker',
      }),
    ).toEqual([
      '-uid',
      '1000',
      '-gid',
      '1001',
      '-app',
      '/workspace',
      '-process-type',
      'worker',
      'app',
      'app:v1',
      'other/app:v1',
    ]);
  });
});
