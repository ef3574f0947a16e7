/**
 * FileSync.DiffCopy, the sending side of fsutil's protocol: we list every entry of the asked
 * directory as STAT packets in walk order (an entry's ID is its index in that listing) and end the
 * listing with an empty STAT; the daemon asks for the content of the regular files it lacks with
 * REQ{ID}; each is answered with DATA chunks and an empty DATA; the daemon's FIN is answered with
 * FIN and ends the call. An ERR from either side ends it with that message.
 *
 * The call's metadata says which directory (`dir-name`) and how to filter it
 * (`include-patterns`, `exclude-patterns`, `followpaths`; URL-encoded when `<key>-encoded` is set).
 */
import { EngineError, LocalFileError } from '../errors.js';
import type { ContextEntry, ContextSource } from './context-source.js';
import { canRequestData } from './file-mode.js';
import { decodePacket, encodePacket, PacketType } from './fsutil-packet.js';
import type { GrpcCall, GrpcHandler, GrpcMetadata } from './grpc-server.js';
import { GrpcCode, GrpcStatus } from './grpc-status.js';

/** fsutil sends up to 4 files at once. */
const PARALLEL_FILES = 4;

export interface DiffCopyOptions {
  /** The directory served under a dir-name ('context', 'dockerfile'), if any. */
  lookup(dirName: string): ContextSource | undefined;
  /**
   * A failure on this side (a file that cannot be read, a bad pattern): the daemon is told, and
   * the build reports this error instead of the daemon's retelling of it.
   */
  onLocalError(err: EngineError): void;
}

/** FileSync metadata as buildkit decodes it: `<key>-encoded: 1` marks URL-encoded values. */
export function fileSyncOptions(metadata: GrpcMetadata): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, values] of metadata) {
    const encoded = /^(1|t|true)$/i.test(metadata.get(`${key}-encoded`)?.[0] ?? '');
    out.set(
      key,
      values.map((v) => (encoded ? queryUnescape(v) : v)),
    );
  }
  return out;
}

function queryUnescape(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function diffCopyHandler(options: DiffCopyOptions): GrpcHandler {
  return (call) => new DiffCopyCall(call, options).run();
}

class DiffCopyCall {
  readonly #call: GrpcCall;
  readonly #options: DiffCopyOptions;
  /** Listed regular files not asked for yet, by ID. */
  readonly #files = new Map<number, ContextEntry>();
  readonly #queue: [number, ContextEntry][] = [];
  #sending = 0;
  #failure: { err: unknown } | undefined;
  #onFailure: ((err: unknown) => void) | undefined;
  #onIdle: (() => void) | undefined;

  constructor(call: GrpcCall, options: DiffCopyOptions) {
    this.#call = call;
    this.#options = options;
  }

  async run(): Promise<void> {
    const opts = fileSyncOptions(this.#call.metadata);
    const dirName = opts.get('dir-name')?.[0] ?? '';
    const source = this.#options.lookup(dirName);
    if (!source) throw new GrpcStatus(GrpcCode.NOT_FOUND, `no access allowed to dir "${dirName}"`);
    const failed = new Promise<never>((_, reject) => {
      this.#onFailure = reject;
    });
    failed.catch(() => {});
    const listing = this.#list(source, opts).catch((err: unknown) => this.#fail(err));
    try {
      const messages = this.#call.messages()[Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([messages.next(), failed]);
        if (next.done) break;
        const packet = decodePacket(next.value);
        if (packet.type === PacketType.ERR) {
          throw new GrpcStatus(
            GrpcCode.UNKNOWN,
            `error from receiver: ${Buffer.from(packet.data).toString('utf8')}`,
          );
        }
        if (packet.type === PacketType.REQ) {
          const entry = this.#files.get(packet.id);
          if (!entry) {
            throw new GrpcStatus(GrpcCode.INVALID_ARGUMENT, `invalid file id ${packet.id}`);
          }
          this.#files.delete(packet.id);
          this.#queue.push([packet.id, entry]);
          this.#pump();
        } else if (packet.type === PacketType.FIN) {
          await Promise.race([listing, failed]);
          await Promise.race([this.#idle(), failed]);
          await messages.return?.();
          await this.#call.send(encodePacket({ type: PacketType.FIN }));
          return;
        }
      }
      // the daemon half-closed without FIN: nothing more will be asked
      await Promise.race([listing, failed]);
    } catch (err) {
      throw await this.#failure_(err);
    }
  }

  async #list(source: ContextSource, opts: Map<string, string[]>): Promise<void> {
    let id = 0;
    const walk = source.walk({
      includePatterns: opts.get('include-patterns') ?? [],
      excludePatterns: opts.get('exclude-patterns') ?? [],
      followPaths: opts.get('followpaths') ?? [],
    });
    for await (const entry of walk) {
      if (canRequestData(entry.stat.mode)) this.#files.set(id, entry);
      id++;
      await this.#call.send(encodePacket({ type: PacketType.STAT, stat: entry.stat }));
    }
    await this.#call.send(encodePacket({ type: PacketType.STAT }));
  }

  #pump(): void {
    while (this.#sending < PARALLEL_FILES && this.#queue.length > 0 && !this.#failure) {
      const [id, entry] = this.#queue.shift()!;
      this.#sending++;
      this.#sendFile(id, entry).then(
        () => {
          this.#sending--;
          this.#pump();
          if (this.#sending === 0 && this.#queue.length === 0) this.#onIdle?.();
        },
        (err: unknown) => this.#fail(err),
      );
    }
  }

  #idle(): Promise<void> {
    if (this.#sending === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = resolve;
    });
  }

  async #sendFile(id: number, entry: ContextEntry): Promise<void> {
    for await (const chunk of entry.read()) {
      if (chunk.length === 0) continue; // an empty DATA would end the file
      await this.#call.send(encodePacket({ type: PacketType.DATA, id, data: chunk }));
    }
    await this.#call.send(encodePacket({ type: PacketType.DATA, id }));
  }

  #fail(err: unknown): void {
    if (this.#failure) return;
    this.#failure = { err };
    this.#onFailure?.(err);
  }

  /**
   * The status the call ends with. A failure on our side is reported to the build (a file that
   * cannot be read is a LocalFileError naming it) and told to the daemon with an ERR packet, as
   * fsutil's sender does, so that its error says what happened.
   */
  async #failure_(err: unknown): Promise<unknown> {
    if (err instanceof GrpcStatus) return err;
    if (this.#call.signal.aborted) return this.#call.signal.reason;
    const local = localError(err);
    this.#options.onLocalError(local);
    await this.#call
      .send(encodePacket({ type: PacketType.ERR, data: Buffer.from(local.message, 'utf8') }))
      .catch(() => {});
    return new GrpcStatus(GrpcCode.UNKNOWN, local.message);
  }
}

function localError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const e = err as { code?: unknown; syscall?: unknown } | undefined;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new LocalFileError(err);
  }
  return new EngineError(
    `sending the build context failed: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}
