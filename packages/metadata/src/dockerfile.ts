import { MetadataError } from './errors.js';

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, ... */
  keyword: string;
  /** Everything after the keyword, continuation escapes removed, trimmed. */
  args: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface DockerfileStage {
  from: Instruction;
  /** The FROM image as written (`${base_image}`, `busybox`, ...), flags stripped. */
  baseName: string;
  /** `AS <name>`, if any. */
  name?: string;
  /** Instructions after FROM, in order. */
  commands: Instruction[];
}

export interface ParsedDockerfile {
  /** ARG instructions before the first FROM. */
  metaArgs: Instruction[];
  stages: DockerfileStage[];
  instructions: Instruction[];
}

export interface SourceRef {
  /** The extension the Dockerfile belongs to; named in every error. */
  extension?: string;
  /** The Dockerfile's path, for messages. */
  file?: string;
}

/**
 * Parses a Dockerfile the way the classic builder's parser splits it: parser directives
 * (`# escape=`), comments, blank lines and line continuations. Heredocs are not supported
 * by the classic builder and are not recognised here either.
 */
export function parseDockerfile(text: string, src: SourceRef = {}): ParsedDockerfile {
  const lines = text.split(/\r?\n/);
  let escapeChar = '\\';
  let i = 0;
  // Parser directives: only at the very top, before any other line.
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') fail(src, `invalid escape directive "${m[2]}"`, i + 1);
      escapeChar = m[2]!;
    }
  }
  const instructions: Instruction[] = [];
  let current: { start: number; parts: string[] } | undefined;
  for (; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (current === undefined) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      current = { start: i + 1, parts: [] };
    } else if (trimmed.startsWith('#')) {
      continue; // comment lines inside a continuation are dropped
    } else if (trimmed === '') {
      continue; // empty continuation lines are tolerated, as buildkit and the classic parser do
    }
    const continued = raw.trimEnd().endsWith(escapeChar);
    current.parts.push(continued ? raw.trimEnd().slice(0, -1) : raw);
    if (!continued) {
      instructions.push(toInstruction(current.parts.join(''), current.start, src));
      current = undefined;
    }
  }
  if (current) instructions.push(toInstruction(current.parts.join(''), current.start, src));
  return group(instructions, src);
}

function toInstruction(text: string, line: number, src: SourceRef): Instruction {
  const m = /^\s*([A-Za-z]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) fail(src, `cannot parse instruction "${text.trim()}"`, line);
  return { keyword: m![1]!.toUpperCase(), args: (m![2] ?? '').trim(), line };
}

function group(instructions: Instruction[], src: SourceRef): ParsedDockerfile {
  const metaArgs: Instruction[] = [];
  const stages: DockerfileStage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      stages.push({ from: ins, ...parseFrom(ins, src), commands: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') {
        fail(src, `${ins.keyword} before the first FROM (only ARG may precede FROM)`, ins.line);
      }
      metaArgs.push(ins);
    } else {
      stages.at(-1)!.commands.push(ins);
    }
  }
  return { metaArgs, stages, instructions };
}

function parseFrom(ins: Instruction, src: SourceRef): { baseName: string; name?: string } {
  const words = ins.args.split(/\s+/).filter((w) => w && !w.startsWith('--'));
  if (words.length === 0) fail(src, 'FROM requires an image', ins.line);
  if (words.length === 3 && words[1]!.toUpperCase() === 'AS') {
    return { baseName: words[0]!, name: words[2]! };
  }
  if (words.length !== 1)
    fail(src, `FROM "${ins.args}": expected "FROM <image> [AS <name>]"`, ins.line);
  return { baseName: words[0]! };
}

function fail(src: SourceRef, message: string, line: number): never {
  throw new MetadataError('ERR_DOCKERFILE_PARSE', message, { ...src, line });
}

/** ARG names an instruction declares (`ARG a=1 b`). */
export function argNames(ins: Instruction): string[] {
  return splitWords(ins.args).map((w) => w.split('=')[0]!);
}

/**
 * Key/value pairs a LABEL instruction sets, quotes and escapes removed
 * (`LABEL a=1 "b c"="d"`, and the legacy `LABEL key value`).
 */
export function labelPairs(ins: Instruction): Array<[string, string]> {
  const words = splitWords(ins.args);
  if (words.length > 0 && !words[0]!.includes('=')) {
    return [[words[0]!, words.slice(1).join(' ')]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Splits on unquoted whitespace, removing quotes and backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
