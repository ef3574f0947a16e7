import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Pack } from 'tar-stream';

/**
 * Where an OCI layout is written. Blobs whose digest is only known once written go to a temp
 * file first and are committed under their digest.
 */
export interface LayoutSink {
  /** A fresh path to write a blob to before its digest is known. */
  tempPath(): Promise<string>;
  /** Puts a finished temp file in place as `blobs/sha256/<hex>`. */
  commitBlob(tempPath: string, digest: string): Promise<void>;
  /** Writes a small file (config, manifest, index.json, oci-layout) by its path in the layout. */
  writeFile(name: string, content: Buffer): Promise<void>;
  /** Drops temp files after a failure. */
  discard(tempPath: string): Promise<void>;
}

const blobName = (digest: string) => `blobs/sha256/${digest.replace(/^sha256:/, '')}`;

/** Writes the layout into a directory: temp files live beside the blobs, so a commit is a rename. */
export function directorySink(dir: string): LayoutSink {
  return {
    async tempPath() {
      await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
      return join(dir, 'blobs', 'sha256', `.tmp-${randomUUID()}`);
    },
    async commitBlob(tempPath, digest) {
      await rename(tempPath, join(dir, blobName(digest)));
    },
    async writeFile(name, content) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), content);
    },
    async discard(tempPath) {
      await rm(tempPath, { force: true });
    },
  };
}

export interface TarPackSinkOptions {
  /** Prefix of every entry (e.g. 'extended/run/imgext/'), ending in '/'. Default ''. */
  prefix?: string;
  /** Owner of the entries (the layers volume's owner). Default 0:0. */
  uid?: number;
  gid?: number;
  /** Directory for the one layer being compressed before its size is known. Default os.tmpdir(). */
  tempDir?: string;
}

/**
 * Writes the layout as entries of a tar-stream pack (e.g. a stream into a volume through
 * putArchive). A tar header needs the size up front, so each NEW layer is compressed to a temp
 * file first, appended, and deleted; nothing else touches the disk. The caller finalizes `tar`.
 */
export function tarPackSink(tar: Pack, opts: TarPackSinkOptions = {}): LayoutSink {
  const prefix = opts.prefix ?? '';
  const owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0, mtime: new Date(0) };
  const dirs = new Set<string>();
  const ensureDirs = (name: string) => {
    const parts = `${prefix}${name}`.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = `${parts.slice(0, i).join('/')}/`;
      if (dirs.has(d)) continue;
      dirs.add(d);
      tar.entry({ ...owner, name: d, type: 'directory', mode: 0o755 });
    }
  };
  const entry = async (name: string, size: number, body: NodeJS.ReadableStream | Buffer) => {
    ensureDirs(name);
    if (Buffer.isBuffer(body)) {
      tar.entry({ ...owner, name: `${prefix}${name}`, mode: 0o644 }, body);
      return;
    }
    const w = tar.entry({ ...owner, name: `${prefix}${name}`, mode: 0o644, size, type: 'file' });
    await pipeline(body, w);
  };
  return {
    async tempPath() {
      const dir = opts.tempDir ?? tmpdir();
      await mkdir(dir, { recursive: true });
      return join(dir, `imgext-layer-${randomUUID()}`);
    },
    async commitBlob(tempPath, digest) {
      try {
        const { size } = await stat(tempPath);
        await entry(blobName(digest), size, createReadStream(tempPath));
      } finally {
        await rm(tempPath, { force: true });
      }
    },
    async writeFile(name, content) {
      await entry(name, content.length, content);
    },
    async discard(tempPath) {
      await rm(tempPath, { force: true });
    },
  };
}
