/** /layers/analyzed.toml of a session, read and written back. */

import { LifecycleError, type LifecycleSession } from '@imgext/lifecycle';
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

/**
 * `analyzed` without the previous image (`[image]`) and its layer metadata (`[metadata]`): the
 * exporter then reuses nothing from it and sends every layer it has.
 */
export function withoutPreviousImage(analyzed: Analyzed): Analyzed {
  const { image: _image, metadata: _metadata, ...rest } = analyzed.rest;
  return { ...analyzed, rest };
}

/**
 * What each engine says when the image it loads has a layer whose data is not the layer the
 * config names (docs/build-flow.md, "Known issue: invalid diffID"; each seen with the upstream
 * lifecycle v0.21.17 in export-retry.test.ts):
 * - Docker's classic image store (moby's tarexport): `invalid diffID for layer 6: expected …, got …`;
 * - Docker with the containerd image store: `failed to unpack loaded image: wrong diff id
 *   calculated on extraction "sha256:…"`;
 * - podman (containers/image's docker-archive, one line of its "payload does not match any of the
 *   supported image formats" list): `Layer tarfile /sha256:….tar used for two different DiffID
 *   values`.
 */
const REUSE_DIFF_ID_ERRORS = [
  /invalid diffID for layer \d+/,
  /wrong diff id calculated on extraction/,
  /Layer tarfile \S+ used for two different DiffID values/,
];

/**
 * The daemon refused the exporter's image because a layer's data is not the layer the config
 * names: the lifecycle's reuse bug (0.21.15 and later: its go-containerregistry looks layers up
 * by digest, and the daemon-side stand-ins of the previous image's layers all have none).
 */
export function isReuseDiffIdError(err: unknown): boolean {
  if (!(err instanceof LifecycleError) || err.phase !== 'exporter') return false;
  const text = [err.message, ...(err.logTail ?? [])].join('\n');
  return REUSE_DIFF_ID_ERRORS.some((re) => re.test(text));
}
