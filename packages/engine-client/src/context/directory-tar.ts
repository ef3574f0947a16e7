/**
 * A DirectoryContext as the tar the classic builder reads, produced while the daemon reads it
 * (never buffered whole). What `dir/.dockerignore` lists is left out here, on the client, as
 * `docker build` does: Docker's daemon does not apply it to a context it is sent (podman's does),
 * so a file it lists never leaves the machine. `files` go in the tar's root, and the
 * `.dockerignore` sent along lists them and itself, which the daemon then keeps out of `COPY`.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Pack, pack } from 'tar-stream';
import type { DirectoryContext } from '../api.js';
import { BuildContextError } from '../errors.js';
import { compileIgnorePatterns, type IgnoreMatcher, parseDockerignore } from './ignore-patterns.js';
import { packMode } from './tar-mode.js';

export function directoryTar(
  context: DirectoryContext,
  opts: { signal?: AbortSignal } = {},
): AsyncIterable<Uint8Array> {
  const tar = pack();
  fill(tar, context, opts.signal).then(
    () => tar.finalize(),
    (err: unknown) => tar.destroy(err as Error),
  );
  // tar-stream's pack is a streamx Readable: async-iterable.
  return tar as unknown as AsyncIterable<Uint8Array>;
}

/** A clear error when `dir` is missing or not a folder, before anything is sent. */
export async function checkDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: Error) => {
    throw new BuildContextError(
      `the build context directory ${dir} cannot be read: ${err.message}`,
      {
        cause: err,
      },
    );
  });
  if (!st.isDirectory()) throw new BuildContextError(`the build context ${dir} is not a directory`);
}

/** The `.dockerignore` of `dir`, '' when there is none; an invalid pattern names the file. */
export async function readDockerignore(
  dir: string,
): Promise<{ text: string; matcher: IgnoreMatcher | undefined }> {
  const file = join(dir, '.dockerignore');
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  if (text.trim() === '') return { text, matcher: undefined };
  try {
    return { text, matcher: compileIgnorePatterns(parseDockerignore(text)) };
  } catch (err) {
    throw new BuildContextError(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function fill(tar: Pack, context: DirectoryContext, signal?: AbortSignal): Promise<void> {
  const files = Object.entries(context.files ?? {});
  for (const [name] of files) {
    if (name === '' || name.includes('/') || name === '.' || name === '..') {
      throw new BuildContextError(
        `the build context's files must be plain file names at the context root: ${JSON.stringify(name)} is not`,
      );
    }
  }
  let ignore = '';
  if (context.dir !== undefined) {
    const { text, matcher } = await readDockerignore(context.dir);
    ignore = text;
    const skip = new Set(['.dockerignore', ...files.map(([name]) => name)]);
    await walk(tar, context.dir, context.dir, matcher, skip, signal);
  }
  for (const [name, content] of files) {
    tar.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(content));
  }
  {
    const lines = ignore.endsWith('\n') || ignore === '' ? ignore : `${ignore}\n`;
    const listed = files.map(([name]) => `${name}\n`).join('');
    tar.entry(
      { name: '.dockerignore', mode: 0o644, mtime: new Date(0) },
      `${lines}${listed}.dockerignore\n`,
    );
  }
}

async function walk(
  tar: Pack,
  root: string,
  dir: string,
  ignore: IgnoreMatcher | undefined,
  skipAtRoot: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    signal?.throwIfAborted();
    const path = join(dir, entry.name);
    const name = relative(root, path).split(sep).join('/');
    if (dir === root && skipAtRoot.has(name)) continue;
    const ignored = ignore?.matches(name) ?? false;
    // An ignored directory is still walked when a `!` pattern may keep something below it; its
    // own entry stays out (the daemon makes the folders of the entries it keeps).
    if (ignored && !(entry.isDirectory() && !ignore!.canSkipDirectory(name))) continue;
    const st = await lstat(path);
    // packMode: a mode of 0 stays 0 (tar-stream would write 0644 or 0755 for it).
    const header = { name, mode: packMode(st.mode), mtime: st.mtime, uid: 0, gid: 0 };
    if (st.isDirectory()) {
      if (!ignored) tar.entry({ ...header, type: 'directory' });
      await walk(tar, root, path, ignore, skipAtRoot, signal);
    } else if (st.isSymbolicLink()) {
      tar.entry({ ...header, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      const sink = tar.entry({ ...header, type: 'file', size: st.size });
      await pipeline(createReadStream(path), sink, signal ? { signal } : {});
    }
  }
}
