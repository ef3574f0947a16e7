import { parseToml } from '@imgext/metadata';
import { describe, expect, it } from 'vitest';
import { BuildAppError } from './build-error.js';
import { customOrderToml } from './custom-order.js';

const builder = {
  buildpacks: [
    { id: 'a/one', version: '1.0.0' },
    { id: 'a/two', version: '1.0.0' },
    { id: 'a/two', version: '2.0.0' },
  ],
  extensions: [{ id: 'x/ext', version: '0.1.0' }, { id: 'x/other' }],
  order: [[{ id: 'a/one', version: '1.0.0', optional: false }]],
  orderExtensions: [[{ id: 'x/ext', version: '0.1.0', optional: true }]],
};

describe('customOrderToml', () => {
  it('--buildpack: one group of the given ones, versions resolved; the order-extensions kept', () => {
    const toml = parseToml(
      customOrderToml(
        builder,
        { buildpacks: ['a/two@2.0.0', 'urn:cnb:builder:a/one'], extensions: [] },
        'b',
      ),
      'order.toml',
    );
    expect(toml).toEqual({
      order: [
        {
          group: [
            { id: 'a/two', version: '2.0.0' },
            { id: 'a/one', version: '1.0.0' },
          ],
        },
      ],
      'order-extensions': [{ group: [{ id: 'x/ext', version: '0.1.0', optional: true }] }],
    });
  });

  it('--extension: the given extensions (optional), the buildpack order kept', () => {
    const toml = parseToml(
      customOrderToml(builder, { buildpacks: [], extensions: ['x/other'] }, 'b'),
      'order.toml',
    );
    expect(toml).toEqual({
      order: [{ group: [{ id: 'a/one', version: '1.0.0' }] }],
      'order-extensions': [{ group: [{ id: 'x/other', optional: true }] }],
    });
  });

  it('not on the builder, or an ambiguous version: ERR_NOT_ON_BUILDER naming what it has', () => {
    const missing = () =>
      customOrderToml(builder, { buildpacks: ['a/three'], extensions: [] }, 'my/builder');
    expect(missing).toThrow(BuildAppError);
    expect(missing).toThrow(
      'buildpack a/three is not on the builder my/builder (it has: a/one@1.0.0, a/two@1.0.0, a/two@2.0.0)',
    );
    expect(() => customOrderToml(builder, { buildpacks: ['a/two'], extensions: [] }, 'b')).toThrow(
      'several versions (1.0.0, 2.0.0); give a/two@<version>',
    );
    expect(() =>
      customOrderToml(builder, { buildpacks: ['a/one@9'], extensions: [] }, 'b'),
    ).toThrow('a/one@9 is not on the builder');
  });

  it('local modules (already read) beside ids on the builder; pre and post around every group', () => {
    const local = { id: 'local/bp', version: '0.1.0', optional: false };
    const given = (buildpacks: Array<string | typeof local>) =>
      parseToml(
        customOrderToml(
          builder,
          {
            buildpacks,
            extensions: [{ id: 'local/ext', version: '0.2.0', optional: true }],
            pre: ['a/two@1.0.0'],
            post: [local],
          },
          'b',
        ),
        'order.toml',
      );
    expect(given([local, 'a/one'])).toEqual({
      order: [
        {
          group: [
            { id: 'a/two', version: '1.0.0' },
            { id: 'local/bp', version: '0.1.0' },
            { id: 'a/one', version: '1.0.0' },
            { id: 'local/bp', version: '0.1.0' },
          ],
        },
      ],
      'order-extensions': [{ group: [{ id: 'local/ext', version: '0.2.0', optional: true }] }],
    });
    // No group given: the builder's order, each group between pre and post.
    expect(given([]).order).toEqual([
      {
        group: [
          { id: 'a/two', version: '1.0.0' },
          { id: 'a/one', version: '1.0.0' },
          { id: 'local/bp', version: '0.1.0' },
        ],
      },
    ]);
  });
});
