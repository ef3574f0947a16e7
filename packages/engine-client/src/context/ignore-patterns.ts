/**
 * `.dockerignore` files and exclude patterns with the semantics of moby's patternmatcher (what the
 * classic builder, BuildKit's Dockerfile frontend and fsutil all use): patterns are tried in order,
 * a later pattern overrides an earlier one, `!` re-includes, `*` and `?` stay inside one path
 * segment, `**` spans any number of segments, and a pattern that matches a parent directory
 * matches everything below it.
 */
import { posix } from 'node:path';
import { EngineError } from '../errors.js';

/** A pattern that cannot be compiled (an unclosed `[`, a trailing `\`, a lone `!`). */
export class IgnorePatternError extends EngineError {
  override readonly code = 'ENGINE_INVALID_IGNORE_PATTERN';
  readonly pattern: string;

  constructor(pattern: string, reason: string) {
    super(`invalid ignore pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.pattern = pattern;
  }
}

/**
 * The patterns of a `.dockerignore` file, normalised as moby's ignorefile.ReadAll does: a UTF-8
 * BOM is dropped, lines starting with `#` are comments, whitespace is trimmed, each pattern is
 * cleaned (`a//b/../c/` → `a/c`) and a leading `/` is removed (`!` prefixes are kept).
 */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const rawLine of body.split(/\r?\n/)) {
    if (rawLine.startsWith('#')) continue;
    let pattern = rawLine.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** One compiled pattern. */
export interface IgnorePattern {
  /** The cleaned pattern without its `!`. */
  readonly pattern: string;
  /** True for a `!` (re-include) pattern. */
  readonly exclusion: boolean;
  /** Whether this pattern alone matches the slash-separated, context-relative path. */
  test(path: string): boolean;
}

export interface IgnoreMatcher {
  /** The compiled patterns, in order. */
  readonly patterns: readonly IgnorePattern[];
  /** True when some pattern starts with `!`: an ignored directory may still have kept entries. */
  readonly hasExclusions: boolean;
  /**
   * Whether `path` (slash-separated, relative to the context root, no leading `./`) is matched:
   * by itself or through one of its parent directories, the last deciding pattern winning
   * (moby's MatchesOrParentMatches). The root (`.` or ``) never matches.
   */
  matches(path: string): boolean;
  /**
   * Whether a matched directory can be skipped whole: false when a `!` pattern might re-include
   * something below it (the walker must then descend and test each entry).
   */
  canSkipDirectory(dir: string): boolean;
  /**
   * Whether some pattern (not a `!` one) might match a path below `dir`: used for include
   * patterns, where an unmatched directory can be skipped whole only when none can.
   */
  mayMatchInside(dir: string): boolean;
}

/** Compiles patterns (as returned by {@link parseDockerignore}, or exclude patterns given by hand). */
export function compileIgnorePatterns(patterns: readonly string[]): IgnoreMatcher {
  const compiled: CompiledPattern[] = [];
  for (const raw of patterns) {
    let p = raw.trim();
    if (p === '') continue;
    p = cleanPath(p);
    let exclusion = false;
    if (p.startsWith('!')) {
      if (p.length === 1) throw new IgnorePatternError(raw, 'a lone "!" excludes nothing');
      exclusion = true;
      p = p.slice(1);
    }
    compiled.push(new CompiledPattern(raw, p, exclusion));
  }
  const hasExclusions = compiled.some((p) => p.exclusion);
  return {
    patterns: compiled,
    hasExclusions,
    matches(path: string): boolean {
      const file = cleanPath(path);
      if (file === '.' || file === '') return false;
      const parent = posix.dirname(file);
      const parentDirs = parent === '.' ? [] : parent.split('/');
      let matched = false;
      for (const pattern of compiled) {
        // An inclusion cannot change an already matched path, an exclusion an unmatched one.
        if (pattern.exclusion !== matched) continue;
        let match = pattern.test(file);
        for (let i = 0; !match && i < parentDirs.length; i++) {
          match = pattern.test(parentDirs.slice(0, i + 1).join('/'));
        }
        if (match) matched = !pattern.exclusion;
      }
      return matched;
    },
    canSkipDirectory(dir: string): boolean {
      if (!hasExclusions) return true;
      const d = cleanPath(dir);
      for (const pattern of compiled) {
        if (!pattern.exclusion) continue;
        if (pattern.mayMatchBelow(d)) return false;
      }
      return true;
    },
    mayMatchInside(dir: string): boolean {
      const d = cleanPath(dir);
      return compiled.some((pattern) => !pattern.exclusion && pattern.mayMatchBelow(d));
    },
  };
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Characters that mean something to a RegExp but nothing to a path pattern: escaped. */
const REGEXP_ONLY = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^', '/']);
/** Characters that must be escaped to stand for themselves in a RegExp with the `u` flag. */
const REGEXP_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

class CompiledPattern implements IgnorePattern {
  readonly pattern: string;
  readonly exclusion: boolean;
  readonly #type: MatchType;
  readonly #regexp: RegExp | undefined;

  constructor(raw: string, pattern: string, exclusion: boolean) {
    this.pattern = pattern;
    this.exclusion = exclusion;
    const { type, source } = translate(raw, pattern);
    this.#type = type;
    if (type === 'regexp') {
      try {
        this.#regexp = new RegExp(source, 'u');
      } catch (err) {
        throw new IgnorePatternError(raw, (err as Error).message);
      }
    }
  }

  test(path: string): boolean {
    switch (this.#type) {
      case 'exact':
        return path === this.pattern;
      case 'prefix':
        return path.startsWith(this.pattern.slice(0, -2));
      case 'suffix': {
        const suffix = this.pattern.slice(2);
        if (path.endsWith(suffix)) return true;
        // `**/foo` matches `foo` itself.
        return suffix.startsWith('/') && path === suffix.slice(1);
      }
      case 'regexp':
        return this.#regexp!.test(path);
    }
  }

  /**
   * Whether this pattern could match `dir/<something>`: its literal leading segments (up to the
   * first wildcard) must agree with dir's. Conservative: any wildcard early on answers yes.
   */
  mayMatchBelow(dir: string): boolean {
    if (this.pattern.startsWith('**')) return true;
    const patternSegments = this.pattern.split('/');
    const dirSegments = dir.split('/');
    for (let i = 0; i < dirSegments.length; i++) {
      const seg = patternSegments[i];
      if (seg === undefined) return false; // the pattern is shallower than dir: cannot be below
      if (/[*?[\\]/.test(seg)) return true;
      if (seg !== dirSegments[i]) return false;
    }
    return true;
  }
}

/** The pattern as a RegExp source, or one of moby's literal fast paths (same results). */
function translate(raw: string, pattern: string): { type: MatchType; source: string } {
  let source = '^';
  let type: MatchType = 'exact';
  let inClass = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const start = i;
    const ch = chars[i]!;
    if (inClass) {
      if (ch === ']') {
        inClass = false;
        source += ']';
      } else if (ch === '\\') {
        const next = chars[++i];
        if (next === undefined)
          throw new IgnorePatternError(raw, 'a trailing "\\" escapes nothing');
        source += next === '-' || REGEXP_SYNTAX.has(next) ? `\\${next}` : next;
      } else if (ch === '/') {
        source += '\\/';
      } else {
        source += ch;
      }
      continue;
    }
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++; // `**/` is `**`
        if (i + 1 >= chars.length) {
          // `**` at the end: everything below, like .gitignore.
          if (type === 'exact') type = 'prefix';
          else {
            source += '.*';
            type = 'regexp';
          }
        } else {
          source += '(.*\\/)?';
          type = 'regexp';
        }
        // A pattern starting with `**`: moby treats the rest as a literal suffix unless a later
        // wildcard makes it a RegExp again.
        if (start === 0) type = 'suffix';
      } else {
        source += '[^\\/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^\\/]';
      type = 'regexp';
    } else if (ch === '\\') {
      const next = chars[++i];
      if (next === undefined) throw new IgnorePatternError(raw, 'a trailing "\\" escapes nothing');
      source += REGEXP_SYNTAX.has(next) ? `\\${next}` : next;
      type = 'regexp';
    } else if (ch === '[') {
      inClass = true;
      source += '[';
      if (chars[i + 1] === '^') {
        source += '^';
        i++;
      }
      if (chars[i + 1] === ']') throw new IgnorePatternError(raw, 'an empty "[]" class');
      type = 'regexp';
    } else if (ch === ']') {
      source += '\\]';
      type = 'regexp';
    } else if (REGEXP_ONLY.has(ch)) {
      source += `\\${ch}`;
    } else {
      source += ch;
    }
  }
  if (inClass) throw new IgnorePatternError(raw, 'an unclosed "[" class');
  return { type, source: `${source}$` };
}

/** Go's path.Clean for slash paths: no `//`, no `.` segments, `..` resolved, no trailing `/`. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}
