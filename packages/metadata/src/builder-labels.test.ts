import { describe, expect, it } from 'vitest';
import { describeBuilder } from './builder-labels.js';

const metadata = (platform: string[]) =>
  JSON.stringify({
    description: 'd',
    images: [{ image: 'run:1', mirrors: ['m/run:1'] }],
    buildpacks: [{ id: 'bp', version: '1' }],
    extensions: [{ id: 'ext', version: '2', homepage: 'h' }],
    lifecycle: {
      version: '0.21.17',
      apis: {
        platform: { supported: platform, deprecated: ['0.9'] },
        buildpack: { supported: ['0.10'], deprecated: [] },
      },
    },
    createdBy: { name: 'pack', version: '0.40.2' },
  });

describe('describeBuilder', () => {
  it("reads pack's order-extensions label before the older one, and negotiates the platform API", () => {
    const order = JSON.stringify([{ group: [{ id: 'ext', version: '2', optional: true }] }]);
    const d = describeBuilder({
      'io.buildpacks.builder.metadata': metadata(['0.12', '0.13']),
      'io.buildpacks.buildpack.order': JSON.stringify([{ group: [{ id: 'bp', version: '1' }] }]),
      'io.buildpacks.buildpack.order-extensions': order,
      'io.buildpacks.extension.order': '[]',
      'io.buildpacks.stack.id': 's',
    });
    expect(d).toEqual({
      description: 'd',
      createdBy: { name: 'pack', version: '0.40.2' },
      stackId: 's',
      runImages: [{ image: 'run:1', mirrors: ['m/run:1'] }],
      buildpacks: [{ id: 'bp', version: '1' }],
      extensions: [{ id: 'ext', version: '2', homepage: 'h' }],
      order: [[{ id: 'bp', version: '1', optional: false }]],
      orderExtensions: [[{ id: 'ext', version: '2', optional: true }]],
      orderExtensionsLabel: 'io.buildpacks.buildpack.order-extensions',
      lifecycle: {
        version: '0.21.17',
        platformApis: { supported: ['0.12', '0.13'], deprecated: ['0.9'] },
        buildpackApis: { supported: ['0.10'], deprecated: [] },
      },
      platformApi: '0.13',
    });
  });

  it('the older extension-order label; no API in common is reported, not thrown', () => {
    const d = describeBuilder({
      'io.buildpacks.builder.metadata': metadata(['0.3']),
      'io.buildpacks.extension.order': JSON.stringify([{ group: [{ id: 'ext' }] }]),
    });
    expect(d.orderExtensionsLabel).toBe('io.buildpacks.extension.order');
    expect(d.orderExtensions).toEqual([[{ id: 'ext', optional: false }]]);
    expect(d.platformApi).toBeUndefined();
    expect(d.platformApiError).toBeTruthy();
  });
});
