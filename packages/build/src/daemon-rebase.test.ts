import { describe, expect, it } from 'vitest';
import { rebasedConfig } from './daemon-rebase.js';

describe('rebasedConfig', () => {
  const app = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: '1000:1000',
      Labels: {
        'io.buildpacks.stack.id': 'old',
        'io.buildpacks.stack.distro': 'busybox',
        'io.buildpacks.lifecycle.metadata': '',
        other: 'kept',
      },
    },
    rootfs: { type: 'layers', diff_ids: ['b1', 'b2', 'ext', 'app'] },
    history: [
      { created_by: 'base 1' },
      { created_by: 'base 2' },
      { created_by: 'base USER', empty_layer: true },
      { created_by: 'extension RUN' },
      { created_by: 'extension USER', empty_layer: true },
      { created_by: 'app' },
    ],
  };
  const base = {
    architecture: 'arm64',
    os: 'linux',
    config: { Labels: { 'io.buildpacks.stack.id': 'new' } },
    rootfs: { type: 'layers', diff_ids: ['n1', 'n2', 'n3'] },
    history: [{ created_by: 'n1' }, { created_by: 'n2' }, { created_by: 'n3' }],
  };
  const md = { runImage: { topLayer: 'b2', reference: 'old-id', image: 'run:1' }, app: [] };

  it('new base layers, then the layers above the old top layer; history, OS and stack labels follow', () => {
    const out = rebasedConfig(app, base, 1, { runImage: 'run:2', runImageId: 'sha256:newid', md });
    expect(out.rootfs.diff_ids).toEqual(['n1', 'n2', 'n3', 'ext', 'app']);
    expect(out.history?.map((h) => h.created_by)).toEqual([
      'n1',
      'n2',
      'n3',
      'base USER',
      'extension RUN',
      'extension USER',
      'app',
    ]);
    expect(out.architecture).toBe('arm64');
    expect(out.config?.User).toBe('1000:1000');
    const labels = out.config?.Labels ?? {};
    expect(labels['io.buildpacks.stack.id']).toBe('new');
    expect(labels['io.buildpacks.stack.distro']).toBeUndefined();
    expect(labels.other).toBe('kept');
    expect(JSON.parse(labels['io.buildpacks.lifecycle.metadata'] ?? '{}')).toEqual({
      app: [],
      runImage: { topLayer: 'n3', reference: 'newid', image: 'run:2', mirrors: [] },
      stack: { runImage: { image: 'run:2', mirrors: [] } },
    });
  });

  it('a run image the metadata already names keeps its name and mirrors', () => {
    const out = rebasedConfig(app, base, 1, { runImage: 'run:1', runImageId: 'sha256:x', md });
    const written = JSON.parse(out.config?.Labels?.['io.buildpacks.lifecycle.metadata'] ?? '{}');
    expect(written.runImage).toEqual({ topLayer: 'n3', reference: 'x', image: 'run:1' });
    expect(written.stack).toBeUndefined();
  });
});
