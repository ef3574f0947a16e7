import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  compileIgnorePatterns,
  type IgnoreMatcher,
  IgnorePatternError,
  parseDockerignore,
} from '@imgext/engine-client';
import { type Pack, pack } from 'tar-stream';
import { ExtenderError } from './errors.js';

/** Name of the Dockerfile inside the contexts imgext sends; the daemon removes it via .dockerignore. */
export const CONTEXT_DOCKERFILE = '.imgext.Dockerfile';

export interface BuildContextSpec {
  dockerfile: string;
  /** The directory to send, or undefined to send only the Dockerfile. */
  dir?: string;
  signal?: AbortSignal;
}

/**
 * A build context as a tar stream, produced while the daemon reads it (never buffered whole).
 * What the folder's `.dockerignore` lists is left out here, on the client, as `docker build`
 * does: Docker's daemon does not apply it to a context it is sent (podman's does), so a file it
 * lists never leaves the machine. The `.dockerignore` sent along lists our Dockerfile and
 * itself, which the daemons remove from the context, so a COPY of `.` picks up neither.
 */
export function buildContext(spec: BuildContextSpec): AsyncIterable<Uint8Array> {
  const tar = pack();
  fill(tar, spec).then(
    () => tar.finalize(),
    (err: unknown) => tar.destroy(err as Error),
  );
  // tar-stream's pack is a streamx Readable: async-iterable, which is what the engine client takes.
  return tar as unknown as AsyncIterable<Uint8Array>;
}

async function fill(tar: Pack, spec: BuildContextSpec): Promise<void> {
  let ignore = '';
  if (spec.dir) {
    const file = join(spec.dir, '.dockerignore');
    ignore = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    await walk(tar, spec.dir, spec.dir, ignoreMatcher(file, ignore), spec.signal);
  }
  addText(tar, CONTEXT_DOCKERFILE, spec.dockerfile);
  const lines = ignore.endsWith('\n') || ignore === '' ? ignore : `${ignore}\n`;
  addText(tar, '.dockerignore', `${lines}${CONTEXT_DOCKERFILE}\n.dockerignore\n`);
}

function addText(tar: Pack, name: string, text: string): void {
  tar.entry({ name, mode: 0o644, mtime: new Date(0) }, text);
}

/** The matcher of a `.dockerignore`'s text; an invalid pattern is an error naming the file. */
function ignoreMatcher(file: string, text: string): IgnoreMatcher | undefined {
  if (text.trim() === '') return undefined;
  try {
    return compileIgnorePatterns(parseDockerignore(text));
  } catch (err) {
    if (!(err instanceof IgnorePatternError)) throw err;
    throw new ExtenderError('ERR_INVALID_DOCKERIGNORE', `${file}: ${err.message}`, { cause: err });
  }
}

async function walk(
  tar: Pack,
  root: string,
  dir: string,
  ignore: IgnoreMatcher | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    signal?.throwIfAborted();
    const path = join(dir, entry.name);
    const name = relative(root, path).split(sep).join('/');
    if (dir === root && (name === '.dockerignore' || name === CONTEXT_DOCKERFILE)) continue;
    const ignored = ignore?.matches(name) ?? false;
    // An ignored directory is still walked when a `!` pattern may keep something below it; its
    // own entry stays out (the daemon makes the folders of the entries it keeps).
    if (ignored && !(entry.isDirectory() && !ignore!.canSkipDirectory(name))) continue;
    const st = await lstat(path);
    const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
    if (st.isDirectory()) {
      if (!ignored) tar.entry({ ...header, type: 'directory' });
      await walk(tar, root, path, ignore, signal);
    } else if (st.isSymbolicLink()) {
      tar.entry({ ...header, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      const sink = tar.entry({ ...header, type: 'file', size: st.size });
      await pipeline(createReadStream(path), sink, signal ? { signal } : {});
    }
  }
}
