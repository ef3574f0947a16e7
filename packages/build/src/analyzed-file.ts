/** /layers/analyzed.toml of a session, read and written back. */

import type { LifecycleSession } from '@imgext/lifecycle';
import { type Analyzed, parseAnalyzed, serializeAnalyzed } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';

const ANALYZED = '/layers/analyzed.toml';

export async function readAnalyzed(
  session: LifecycleSession,
  signal?: AbortSignal,
): Promise<Analyzed> {
  const text = await session.readFile(ANALYZED, signal);
  if (text === undefined)
    throw new BuildAppError('ERR_NO_ANALYZED', 'the analyzer wrote no analyzed.toml');
  return parseAnalyzed(text);
}

export function writeAnalyzed(
  session: LifecycleSession,
  analyzed: Analyzed,
  signal?: AbortSignal,
): Promise<void> {
  return session.putFile(ANALYZED, serializeAnalyzed(analyzed), signal);
}

/** `analyzed` with `[run-image] extend` set. */
export function withExtend(analyzed: Analyzed, extend: boolean): Analyzed {
  return { ...analyzed, runImage: { ...analyzed.runImage, extend } };
}
