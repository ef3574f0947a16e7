import { describe, expect, it } from 'vitest';
import { parseProjectDescriptor } from './project-descriptor.js';

describe('parseProjectDescriptor', () => {
  it('schema 0.2: [_], [io.buildpacks] builder, exclude, group, both env spellings', () => {
    const d = parseProjectDescriptor(`
[_]
schema-version = "0.2"
id = "io.example.app"
name = "App"
version = "1.0.0"

[io.buildpacks]
builder = "example/builder:1"
exclude = [".git", "node_modules/"]

[[io.buildpacks.group]]
id = "example/node"
version = "1.2.3"

[[io.buildpacks.group]]
uri = "docker://example/extra"

[[io.buildpacks.pre.group]]
id = "example/pre"

[[io.buildpacks.env.build]]
name = "OLD"
value = "legacy"

[[io.buildpacks.build.env]]
name = "NODE_ENV"
value = "production"

[[io.buildpacks.build.env]]
name = "OLD"
value = "new"
`);
    expect(d).toEqual({
      schemaVersion: '0.2',
      project: { id: 'io.example.app', name: 'App', version: '1.0.0' },
      builder: 'example/builder:1',
      include: [],
      exclude: ['.git', 'node_modules/'],
      buildpacks: [{ id: 'example/node', version: '1.2.3' }, { uri: 'docker://example/extra' }],
      pre: [{ id: 'example/pre' }],
      post: [],
      env: { OLD: 'new', NODE_ENV: 'production' },
    });
  });

  it('schema 0.1 (no [_].schema-version): [project], [build] include, buildpacks, env', () => {
    const d = parseProjectDescriptor(`
[project]
id = "legacy"

[build]
include = ["src/", "*.json"]
builder = "example/old-builder"

[[build.buildpacks]]
id = "example/go"

[[build.env]]
name = "GOFLAGS"
value = "-mod=vendor"
`);
    expect(d).toMatchObject({
      schemaVersion: '0.1',
      project: { id: 'legacy' },
      builder: 'example/old-builder',
      include: ['src/', '*.json'],
      exclude: [],
      buildpacks: [{ id: 'example/go' }],
      env: { GOFLAGS: '-mod=vendor' },
    });
  });

  it('an empty file is a valid 0.1 descriptor with nothing in it', () => {
    expect(parseProjectDescriptor('')).toEqual({
      schemaVersion: '0.1',
      project: {},
      include: [],
      exclude: [],
      buildpacks: [],
      pre: [],
      post: [],
      env: {},
    });
  });

  it('bad input: clear errors naming the file and the key', () => {
    const bad = (text: string) => () => parseProjectDescriptor(text, 'app/project.toml');
    expect(bad('[_]\nschema-version = "0.9"\n')).toThrow(
      /app\/project\.toml.*unknown schema-version "0\.9"/,
    );
    expect(
      bad('[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n'),
    ).toThrow(/both include and exclude/);
    expect(bad('[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = "node_modules"\n')).toThrow(
      /io\.buildpacks\.exclude must be an array of strings/,
    );
    expect(bad('[_]\nschema-version = "0.2"\n[[io.buildpacks.build.env]]\nname = "A"\n')).toThrow(
      /io\.buildpacks\.build\.env\[0\] \(A\): missing "value"/,
    );
    expect(bad('[build\n')).toThrow(expect.objectContaining({ code: 'ERR_TOML_PARSE' }));
    expect(bad('[_]\nschema-version = "0.9"\n')).toThrow(
      expect.objectContaining({ code: 'ERR_PROJECT_DESCRIPTOR_INVALID', file: 'app/project.toml' }),
    );
  });
});
