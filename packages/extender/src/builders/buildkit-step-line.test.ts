// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax
import { type GeneratedDockerfile, validateDockerfile } from '@imgext/metadata';
import { describe, expect, it } from 'vitest';
import { buildkitStepLine } from './buildkit-builder.js';
import { classicStepLine } from './classic-builder.js';

function generated(text: string): GeneratedDockerfile {
  return {
    extensionId: 'x',
    kind: 'build',
    path: 'x/build.Dockerfile',
    text,
    ignored: false,
    args: [],
    validated: validateDockerfile(text, 'build'),
  };
}

const text = [
  'ARG base_image', // 1
  'FROM ${base_image}', // 2
  'ARG build_id=0', // 3
  'USER root', // 4
  'ENV A=1', // 5
  'RUN echo one', // 6
  'WORKDIR /opt', // 7
  'COPY . /opt/app', // 8
  'RUN false', // 9
  'USER 1000:1000', // 10
].join('\n');

describe('the Dockerfile line of a failing step', () => {
  const d = generated(text);
  it("maps BuildKit's [N/M] names: FROM, then one step per RUN, WORKDIR, COPY, ADD", () => {
    expect(buildkitStepLine('[1/5] FROM imgext.local/hold/x:build-base-0', { dockerfile: d })).toBe(
      2,
    );
    expect(buildkitStepLine('[2/5] RUN echo one', { dockerfile: d })).toBe(6);
    expect(buildkitStepLine('[3/5] WORKDIR /opt', { dockerfile: d })).toBe(7);
    expect(buildkitStepLine('[4/5] COPY . /opt/app', { dockerfile: d })).toBe(8);
    expect(buildkitStepLine('[5/5] RUN false', { dockerfile: d })).toBe(9);
    expect(buildkitStepLine('[stage-0 5/5] RUN false', { dockerfile: d })).toBe(9);
  });
  it('gives no line for names it cannot place', () => {
    expect(buildkitStepLine('[internal] load build context', { dockerfile: d })).toBeUndefined();
    expect(buildkitStepLine('[9/9] RUN gone', { dockerfile: d })).toBeUndefined();
  });
  it("maps the classic builder's Step N/M, counting a prepended ARG base_image", () => {
    expect(
      classicStepLine('Step 6/10 : RUN echo one', { dockerfile: d, injectedBaseArg: false }),
    ).toBe(6);
    expect(
      classicStepLine('Step 7/11 : RUN echo one', { dockerfile: d, injectedBaseArg: true }),
    ).toBe(6);
  });
});
