// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${base_image} is Dockerfile syntax, not a template
import {
  argNames,
  type Instruction,
  labelPairs,
  type ParsedDockerfile,
  parseDockerfile,
  type SourceRef,
} from './dockerfile.js';
import { MetadataError } from './errors.js';

export type DockerfileKind = 'build' | 'run';

export const BASE_IMAGE_ARG = 'base_image';
export const BASE_IMAGE_REF = '${base_image}';
export const REBASABLE_LABEL = 'io.buildpacks.rebasable';

/** Instructions the lifecycle accepts without a warning. */
export const RECOMMENDED_INSTRUCTIONS = [
  'FROM',
  'ADD',
  'ARG',
  'COPY',
  'ENV',
  'LABEL',
  'RUN',
  'SHELL',
  'USER',
  'WORKDIR',
] as const;

export interface DockerfileWarning {
  extension?: string;
  file?: string;
  line: number;
  message: string;
}

export interface ValidatedDockerfile {
  kind: DockerfileKind;
  parsed: ParsedDockerfile;
  warnings: DockerfileWarning[];
  /** run kind: the image a FROM other than `${base_image}` switches to. */
  newBase?: string;
  /** There are instructions after FROM: applying it changes the image. */
  extend: boolean;
  /** The Dockerfile itself sets `io.buildpacks.rebasable=true` (its last setting wins). */
  setsRebasable: boolean;
  /** Some COPY/ADD reads from the build context (so the context must be sent). */
  readsContext: boolean;
  /** The Dockerfile declares `ARG build_id`: its later steps are rebuilt each time. */
  usesBuildId: boolean;
}

/**
 * Validates a Dockerfile like the lifecycle: build.Dockerfile must be `ARG base_image` then
 * `FROM ${base_image}`, single stage; run.Dockerfile single stage, its FROM decides switch or
 * extend. Unrecommended instructions are warnings. Errors name the extension and the line.
 */
export function validateDockerfile(
  text: string,
  kind: DockerfileKind,
  src: SourceRef = {},
): ValidatedDockerfile {
  const parsed = parseDockerfile(text, src);
  const invalid = (message: string, line: number): never => {
    throw new MetadataError('ERR_DOCKERFILE_INVALID', message, { ...src, line });
  };
  const name = `${kind}.Dockerfile`;
  const [stage, second] = parsed.stages;
  if (second) invalid(`${name} is not permitted to use multistage build`, second.from.line);
  if (!stage)
    invalid(`${name} should have at least one stage`, parsed.instructions.at(-1)?.line ?? 1);
  if (kind === 'build') {
    const [arg, extra] = parsed.metaArgs;
    if (!arg || extra || argNames(arg).length !== 1 || argNames(arg)[0] !== BASE_IMAGE_ARG) {
      invalid(
        `${name} did not start with required ARG command (ARG ${BASE_IMAGE_ARG})`,
        (extra ?? arg ?? stage!.from).line,
      );
    }
    if (stage!.baseName !== BASE_IMAGE_REF) {
      invalid(`${name} did not contain required FROM ${BASE_IMAGE_REF} command`, stage!.from.line);
    }
  }
  const commands = stage!.commands;
  const warnings = commands
    .filter((c) => !(RECOMMENDED_INSTRUCTIONS as readonly string[]).includes(c.keyword))
    .map((c) => ({
      ...src,
      line: c.line,
      message: `${name} command ${c.keyword} on line ${c.line} is not recommended`,
    }));
  const result: ValidatedDockerfile = {
    kind,
    parsed,
    warnings,
    extend: commands.length > 0,
    setsRebasable: lastLabel(commands, REBASABLE_LABEL) === 'true',
    readsContext: commands.some(readsContext),
    usesBuildId: commands.some((c) => c.keyword === 'ARG' && argNames(c).includes('build_id')),
  };
  if (kind === 'run' && stage!.baseName !== BASE_IMAGE_REF) result.newBase = stage!.baseName;
  return result;
}

function lastLabel(commands: Instruction[], key: string): string | undefined {
  let value: string | undefined;
  for (const c of commands) {
    if (c.keyword !== 'LABEL') continue;
    for (const [k, v] of labelPairs(c)) if (k === key) value = v;
  }
  return value;
}

function readsContext(c: Instruction): boolean {
  return (c.keyword === 'COPY' || c.keyword === 'ADD') && !/(^|\s)--from=/.test(c.args);
}
