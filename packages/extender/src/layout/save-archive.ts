import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/** Entries of a `docker save` archive up to this size are kept in memory (configs, manifests). */
const SMALL = 4 * 1024 * 1024;

export interface SaveEntryInfo {
  size: number;
  /** The entry starts with the gzip magic. */
  gzip: boolean;
}

export interface ScanResult {
  /** Small entries' contents, by name. */
  small: Map<string, Buffer>;
  /** Every regular entry's size and compression. */
  entries: Map<string, SaveEntryInfo>;
  /** Symlink entries, resolved to the entry they point to (the legacy format links duplicate layers). */
  links: Map<string, string>;
}

/** Follows symlink entries of a save to the entry holding the content. */
export function resolveEntry(scan: Pick<ScanResult, 'links'>, name: string): string {
  let current = name;
  for (let i = 0; i < 16 && scan.links.has(current); i++) current = scan.links.get(current)!;
  return current;
}

/**
 * What to do with a large entry: hand it to `onLarge` (`true` or 'take'), to `onSpool`
 * ('spool': the caller cannot tell yet whether it is needed), or drain it (`false`).
 */
export type TakeDecision = boolean | 'take' | 'spool';

/**
 * Reads a `docker save` stream once: small entries are kept, `take(name, small)` decides what
 * happens to each large entry (`small` holds the small entries seen so far, so a manifest read
 * earlier can identify later blobs); `onLarge` and `onSpool` must consume the content. Works for
 * every save format: the classic `<id>/layer.tar` + manifest.json, podman's `<diffID>.tar`, and
 * the OCI layout with blobs/sha256 (Docker >= 25, and the containerd image store, whose layer
 * blobs are compressed). `stop` ends the read early: the daemon's stream is destroyed.
 */
export async function scanSave(
  archive: Readable,
  take: (name: string, small: ReadonlyMap<string, Buffer>) => TakeDecision,
  onLarge: (name: string, content: AsyncIterable<Uint8Array>) => Promise<void>,
  onSpool?: (name: string, content: AsyncIterable<Uint8Array>) => Promise<void>,
  /** Asked after each entry: true stops reading (the rest of the save is not needed). */
  stop?: (small: ReadonlyMap<string, Buffer>) => boolean,
): Promise<ScanResult & { stopped: boolean }> {
  const small = new Map<string, Buffer>();
  const entries = new Map<string, SaveEntryInfo>();
  const links = new Map<string, string>();
  let stopped = false;
  const ex = extract();
  archive.on('error', (err) => ex.destroy(err));
  archive.pipe(ex);
  try {
    for await (const e of ex) {
      const name = e.header.name.replace(/^\.\//, '');
      if (e.header.type === 'symlink' && e.header.linkname) {
        links.set(name, posix.normalize(posix.join(posix.dirname(name), e.header.linkname)));
      }
      if (e.header.type !== 'file') {
        e.resume();
        continue;
      }
      const size = e.header.size ?? 0;
      if (size <= SMALL) {
        const chunks: Buffer[] = [];
        for await (const c of e) chunks.push(c as Buffer);
        const buf = Buffer.concat(chunks);
        small.set(name, buf);
        entries.set(name, { size, gzip: buf[0] === 0x1f && buf[1] === 0x8b });
        if (stop?.(small)) {
          stopped = true;
          break;
        }
        continue;
      }
      const decision = take(name, small);
      const consumer =
        decision === true || decision === 'take'
          ? onLarge
          : decision === 'spool'
            ? onSpool
            : undefined;
      if (consumer) {
        let gzip = false;
        let seen = false;
        async function* tap() {
          for await (const c of e) {
            if (!seen) {
              gzip = (c as Buffer)[0] === 0x1f && (c as Buffer)[1] === 0x8b;
              seen = true;
            }
            yield c as Uint8Array;
          }
        }
        await consumer(name, tap());
        entries.set(name, { size, gzip });
      } else {
        let gzip: boolean | undefined;
        for await (const c of e) gzip ??= (c as Buffer)[0] === 0x1f && (c as Buffer)[1] === 0x8b;
        entries.set(name, { size, gzip: gzip ?? false });
      }
      if (stop?.(small)) {
        stopped = true;
        break;
      }
    }
  } finally {
    archive.destroy();
  }
  return { small, entries, links, stopped };
}
