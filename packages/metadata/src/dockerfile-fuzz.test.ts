// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
/**
 * Seeded, bounded fuzzing of the Dockerfile parser and validator: random lines made of real
 * instructions, continuations, quotes, comments, directives and garbage never throw anything but
 * a MetadataError. A failure prints its seed; rerun that seed to reproduce it.
 */
import { between, prng, randomBytes } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { validateDockerfile } from './dockerfile-rules.js';
import { MetadataError } from './errors.js';

const WORDS = [
  'FROM',
  'from',
  'ARG',
  'base_image',
  '${base_image}',
  '$base_image',
  '${base_image:-x}',
  'AS',
  'builder',
  'RUN',
  'USER',
  'LABEL',
  'io.buildpacks.rebasable=true',
  'COPY',
  '--from=0',
  'ENV',
  'a=b',
  'ONBUILD',
  'SHELL',
  '["sh","-c"]',
  '[',
  ']',
  '"',
  "'",
  '=',
  '\\',
  '`',
  '#',
  '# syntax=docker/dockerfile:1',
  '# escape=`',
  '<<EOF',
  'EOF',
  'é',
  '🚀',
  '\t',
  ' ',
];

function randomLine(random: () => number): string {
  if (random() < 0.05) return randomBytes(random, between(random, 1, 12)).toString('latin1');
  const words: string[] = [];
  for (let i = between(random, 0, 6); i > 0; i--) {
    words.push(WORDS[between(random, 0, WORDS.length - 1)]!);
  }
  return words.join(random() < 0.8 ? ' ' : '');
}

describe('Dockerfile validator fuzz', () => {
  it('random Dockerfiles throw nothing but MetadataError, for both kinds', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const random = prng(seed);
      const lines = Array.from({ length: between(random, 0, 10) }, () => randomLine(random));
      // half of them start like a valid build.Dockerfile, to get past the first checks
      if (random() < 0.5) lines.unshift('ARG base_image', 'FROM ${base_image}');
      const text = lines.join(random() < 0.8 ? '\n' : '\r\n');
      for (const kind of ['build', 'run'] as const) {
        try {
          const result = validateDockerfile(text, kind, {
            extension: 'fuzz',
            file: `${kind}.Dockerfile`,
          });
          expect(result, `seed ${seed}`).toBeDefined();
        } catch (err) {
          expect(err instanceof MetadataError, `seed ${seed} (${kind}): threw ${String(err)}`).toBe(
            true,
          );
          expect((err as MetadataError).message).toContain('fuzz');
        }
      }
    }
  });
});
