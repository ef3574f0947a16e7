import { describe, expect, it } from 'vitest';
import { serializeRunToml } from './run-toml.js';
import { parseToml } from './toml.js';

describe('run.toml', () => {
  it('lists every run image with its mirrors, in order, as the lifecycle reads them', () => {
    const text = serializeRunToml([
      { image: 'registry.example/run:1', mirrors: ['mirror.example/run:1'] },
      { image: 'other/run', mirrors: [] },
    ]);
    expect(parseToml(text!, 'run.toml')).toEqual({
      images: [
        { image: 'registry.example/run:1', mirrors: ['mirror.example/run:1'] },
        { image: 'other/run', mirrors: [] },
      ],
    });
  });
  it('writes nothing for a builder without run images', () => {
    expect(serializeRunToml([])).toBeUndefined();
  });
});
