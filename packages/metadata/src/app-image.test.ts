import { describe, expect, it } from 'vitest';
import { extensionsInHistory, parseAppImage } from './app-image.js';
import {
  EXTENSIONS_LABEL,
  formatExtensionsLabel,
  parseExtensionsLabel,
} from './extensions-label.js';

const lifecycle = JSON.stringify({
  runImage: { topLayer: 'sha256:top', reference: 'abc', image: 'run:1' },
  stack: { runImage: { image: 'run:1', mirrors: ['mirror/run:1'] } },
});
const build = JSON.stringify({
  buildpacks: [{ id: 'bp', version: '1', homepage: 'https://x' }],
  extensions: [
    { id: 'ext/build', version: '0.1' },
    { id: 'ext/run', version: '0.2' },
  ],
  processes: [
    { type: 'web', command: ['serve'], args: ['-p', '80'], direct: false, buildpackID: 'bp' },
    { type: 'worker', command: ['work'], args: null, direct: true, 'working-dir': '/w' },
  ],
  'buildpack-default-process-type': 'web',
  launcher: { version: '0.21.17' },
});

describe('parseAppImage', () => {
  it('reads run image, buildpacks, processes and the extensions imgext recorded', () => {
    const labels = {
      'io.buildpacks.lifecycle.metadata': lifecycle,
      'io.buildpacks.build.metadata': build,
      'io.buildpacks.rebasable': 'false',
      'io.buildpacks.stack.id': 'stack',
      [EXTENSIONS_LABEL]: formatExtensionsLabel([
        { id: 'ext/build', version: '0.1', kinds: ['build'] },
        { id: 'ext/run', version: '0.2', kinds: ['run'], rebasable: false },
      ]),
    };
    expect(parseAppImage(labels)).toEqual({
      runImage: {
        image: 'run:1',
        reference: 'abc',
        topLayer: 'sha256:top',
        mirrors: ['mirror/run:1'],
      },
      stackId: 'stack',
      buildpacks: [{ id: 'bp', version: '1', homepage: 'https://x' }],
      extensions: [
        { id: 'ext/build', version: '0.1', kinds: ['build'] },
        { id: 'ext/run', version: '0.2', kinds: ['run'], rebasable: false },
      ],
      processes: [
        {
          type: 'web',
          command: ['serve'],
          args: ['-p', '80'],
          direct: false,
          default: true,
          buildpackId: 'bp',
        },
        {
          type: 'worker',
          command: ['work'],
          args: [],
          direct: true,
          default: false,
          workingDir: '/w',
        },
      ],
      lifecycleVersion: '0.21.17',
      rebasable: false,
      notRebasableBecause: ['ext/run'],
      recordedByImgext: true,
    });
  });

  it("without imgext's label: run extensions from the history, kinds unknown for the rest; no label means rebasable", () => {
    const history = [
      'ADD busybox',
      "Layer: 'RUN x', Created by extension: ext/run",
      'Application Layer',
    ];
    expect(extensionsInHistory(history)).toEqual(['ext/run']);
    const md = parseAppImage(
      { 'io.buildpacks.lifecycle.metadata': lifecycle, 'io.buildpacks.build.metadata': build },
      history,
    );
    expect(md.extensions).toEqual([
      { id: 'ext/build', version: '0.1', kinds: [] },
      { id: 'ext/run', version: '0.2', kinds: ['run'] },
    ]);
    expect(md).toMatchObject({ rebasable: true, notRebasableBecause: [], recordedByImgext: false });
    const refused = parseAppImage(
      {
        'io.buildpacks.lifecycle.metadata': lifecycle,
        'io.buildpacks.build.metadata': build,
        'io.buildpacks.rebasable': 'false',
      },
      history,
    );
    expect(refused.notRebasableBecause).toEqual(['ext/run']);
  });

  it('an image without lifecycle metadata, and bad JSON, are ERR_LABEL_INVALID', () => {
    expect(() => parseAppImage({})).toThrow(/no io.buildpacks.lifecycle.metadata label/);
    expect(() => parseAppImage({ 'io.buildpacks.lifecycle.metadata': '{' })).toThrow(
      /io.buildpacks.lifecycle.metadata is not valid JSON/,
    );
  });

  it('io.imgext.extensions: bad values are dropped, not thrown', () => {
    expect(parseExtensionsLabel({ [EXTENSIONS_LABEL]: '{' })).toBeUndefined();
    expect(
      parseExtensionsLabel({ [EXTENSIONS_LABEL]: '[{"id":"a","kinds":["run","x"]},3]' }),
    ).toEqual([{ id: 'a', kinds: ['run'] }]);
  });
});
