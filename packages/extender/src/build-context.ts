import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Pack, pack } from 'tar-stream';

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
 * The daemon's classic builder removes the Dockerfile and .dockerignore from the context when
 * .dockerignore lists them, so a COPY of `.` does not pick up our Dockerfile.
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
    ignore = await readFile(join(spec.dir, '.dockerignore'), 'utf8').catch(() => '');
    await walk(tar, spec.dir, spec.dir, spec.signal);
  }
  addText(tar, CONTEXT_DOCKERFILE, spec.dockerfile);
  const lines = ignore.endsWith('\n') || ignore === '' ? ignore : `${ignore}\n`;
  addText(tar, '.dockerignore', `${lines}${CONTEXT_DOCKERFILE}\n.dockerignore\n`);
}

function addText(tar: Pack, name: string, text: string): void {
  tar.entry({ name, mode: 0o644, mtime: new Date(0) }, text);
}

async function walk(tar: Pack, root: string, dir: string, signal?: AbortSignal): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    signal?.throwIfAborted();
    const path = join(dir, entry.name);
    const name = relative(root, path).split(sep).join('/');
    if (dir === root && (name === '.dockerignore' || name === CONTEXT_DOCKERFILE)) continue;
    const st = await lstat(path);
    const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
    if (st.isDirectory()) {
      tar.entry({ ...header, type: 'directory' });
      await walk(tar, root, path, signal);
    } else if (st.isSymbolicLink()) {
      tar.entry({ ...header, type: 'symlink', linkname: await readlink(path) });
    } else if (st.isFile()) {
      const sink = tar.entry({ ...header, type: 'file', size: st.size });
      await pipeline(createReadStream(path), sink, signal ? { signal } : {});
    }
  }
}
