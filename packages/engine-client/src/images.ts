/** The images API: /images/* and /build. */
import { Readable } from 'node:stream';
import type {
  BuildOptions,
  BuildResult,
  CallOptions,
  DirectoryContext,
  ImageHistoryEntry,
  ImageInspect,
  ImageSummary,
  ImagesApi,
  PullOptions,
  PushOptions,
  PushResult,
  RegistryAuth,
  RemoveImageResult,
  TarStream,
} from './api.js';
import { buildQuery } from './build-query.js';
import { BuildStreamReader } from './build-stream.js';
import { checkDirectory, directoryTar } from './context/directory-tar.js';
import { NotFoundError, StreamError } from './errors.js';
import { progressEvent, readProgress } from './progress-stream.js';
import { pathSegment } from './query.js';
import { splitReference } from './reference.js';
import { holdStreamError } from './streams/hold-stream-error.js';
import { eachJsonLine } from './streams/json-lines.js';
import type { Transport } from './transport.js';

/** "<tag>: digest: sha256:... size: N", the last status of a push. */
const PUSHED = /^(\S+): digest: (sha256:[0-9a-f]{64})/;

/** Where registry credentials come from (the client's auth resolver). */
export interface AuthSource {
  authFor(ref: string): Promise<RegistryAuth | undefined>;
  allConfigs(onSkip?: (err: Error) => void): Promise<Record<string, RegistryAuth>>;
  configsFor(refs: string[], onSkip?: (err: Error) => void): Promise<Record<string, RegistryAuth>>;
  encode(value: object): string;
}

export class Images implements ImagesApi {
  readonly #t: Transport;
  readonly #auth: AuthSource;

  constructor(transport: Transport, auth: AuthSource) {
    this.#t = transport;
    this.#auth = auth;
  }

  inspect(ref: string, opts: CallOptions = {}): Promise<ImageInspect> {
    return this.#t.json({
      method: 'GET',
      path: `/images/${pathSegment(ref)}/json`,
      signal: opts.signal,
    });
  }

  async find(ref: string, opts: CallOptions = {}): Promise<ImageInspect | undefined> {
    try {
      return await this.inspect(ref, opts);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  list(
    opts: CallOptions & { all?: boolean; filters?: Record<string, string[]> } = {},
  ): Promise<ImageSummary[]> {
    return this.#t.json({
      method: 'GET',
      path: '/images/json',
      query: { all: opts.all, filters: opts.filters },
      signal: opts.signal,
    });
  }

  history(ref: string, opts: CallOptions = {}): Promise<ImageHistoryEntry[]> {
    return this.#t.json({
      method: 'GET',
      path: `/images/${pathSegment(ref)}/history`,
      signal: opts.signal,
    });
  }

  async build(
    context: TarStream | DirectoryContext,
    opts: BuildOptions = {},
  ): Promise<BuildResult> {
    if (opts.builder === 'buildkit') {
      if (isTarStream(context)) {
        throw new TypeError(
          "builder 'buildkit' takes a DirectoryContext ({ dir, files }), not a tar stream",
        );
      }
      // Settled by buildkitBuild; a rejection while its module loads is not unhandled.
      opts.after?.catch(() => undefined);
      // Loaded on first use: the session (http2, protobuf, fsutil) is ~40 ms of a CLI's start.
      const { buildkitBuild } = await import('./buildkit/buildkit-build.js');
      return buildkitBuild(this.#t, this.#auth, context, opts);
    }
    if (!isTarStream(context)) {
      // Checked before the request: a missing or unreadable folder is not a connection error.
      if (context.dir !== undefined) await checkDirectory(context.dir);
      const tar = directoryTar(context, opts.signal ? { signal: opts.signal } : {});
      return this.build(tar, opts);
    }
    holdStreamError(context);
    if (opts.after) {
      try {
        await opts.after;
      } catch (err) {
        if (context instanceof Readable) context.destroy();
        throw err;
      }
    }
    // A helper that cannot be run (a credsStore copied from another machine) does not fail a
    // build, as with `docker build`: it is skipped with a warning event.
    const skipped = (err: Error) =>
      opts.onProgress?.({
        type: 'warning',
        message: `registry credentials skipped: ${err.message}`,
      });
    const configs = opts.registries
      ? await this.#auth.configsFor(opts.registries, skipped)
      : await this.#auth.allConfigs(skipped);
    const headers: Record<string, string> = { 'content-type': 'application/x-tar' };
    if (Object.keys(configs).length > 0) headers['x-registry-config'] = this.#auth.encode(configs);
    const res = await this.#t.request({
      method: 'POST',
      path: '/build',
      query: {
        version: '1',
        dockerfile: opts.dockerfile,
        ...buildQuery(opts),
        rm: opts.rm ?? true,
        forcerm: opts.forceRm ?? true,
      },
      headers,
      body: context,
      signal: opts.signal,
    });
    const reader = new BuildStreamReader(opts.onProgress);
    try {
      await eachJsonLine(res.body, (value) => reader.read(value));
    } finally {
      res.destroy();
    }
    const result = reader.finish();
    let imageId = result.imageId;
    if (!imageId && reader.builtId) {
      imageId = (await this.inspect(reader.builtId, { signal: opts.signal })).Id;
    }
    if (!imageId) {
      throw new StreamError('the build ended without reporting an image ID', {
        method: 'POST',
        path: '/build',
        statusCode: res.statusCode,
      });
    }
    return { ...result, imageId };
  }

  tag(ref: string, repo: string, tag?: string, opts: CallOptions = {}): Promise<void> {
    return this.#t.call({
      method: 'POST',
      path: `/images/${pathSegment(ref)}/tag`,
      query: { repo, tag },
      signal: opts.signal,
    });
  }

  remove(
    ref: string,
    opts: CallOptions & { force?: boolean; noPrune?: boolean } = {},
  ): Promise<RemoveImageResult[]> {
    return this.#t.json({
      method: 'DELETE',
      path: `/images/${pathSegment(ref)}`,
      query: { force: opts.force, noprune: opts.noPrune },
      signal: opts.signal,
    });
  }

  async pull(ref: string, opts: PullOptions = {}): Promise<void> {
    const { name, tag } = splitReference(ref);
    const res = await this.#t.request({
      method: 'POST',
      path: '/images/create',
      query: {
        fromImage: name,
        tag,
        platform: opts.platform,
        tlsVerify: opts.tlsVerify === false ? false : undefined,
      },
      headers: await this.#authHeader(ref, opts.auth),
      untimed: true,
      signal: opts.signal,
    });
    await readProgress(res, { method: 'POST', path: '/images/create', ref }, (message) => {
      const event = progressEvent(message);
      if (event) opts.onProgress?.(event);
    });
  }

  async push(ref: string, opts: PushOptions = {}): Promise<PushResult> {
    const { name, tag } = splitReference(ref);
    const path = `/images/${pathSegment(name)}/push`;
    const res = await this.#t.request({
      method: 'POST',
      path,
      query: { tag, tlsVerify: opts.tlsVerify === false ? false : undefined },
      headers: await this.#authHeader(ref, opts.auth),
      untimed: true,
      signal: opts.signal,
    });
    const result: PushResult = {};
    await readProgress(res, { method: 'POST', path, ref }, (message) => {
      const aux = message.aux;
      if (aux && typeof aux.Digest === 'string') result.digest = aux.Digest;
      if (aux && typeof aux.Tag === 'string') result.tag = aux.Tag;
      // the containerd image store sends no aux: the digest is only in the status text
      const pushed = PUSHED.exec(message.status ?? '');
      if (pushed) {
        result.tag ??= pushed[1];
        result.digest ??= pushed[2];
      }
      const event = progressEvent(message);
      if (event) opts.onProgress?.(event);
    });
    return result;
  }

  async load(
    tar: TarStream,
    opts: CallOptions & { onProgress?: (line: string) => void } = {},
  ): Promise<string[]> {
    const res = await this.#t.request({
      method: 'POST',
      path: '/images/load',
      query: { quiet: false },
      headers: { 'content-type': 'application/x-tar' },
      body: tar,
      signal: opts.signal,
    });
    const loaded: string[] = [];
    await readProgress(res, { method: 'POST', path: '/images/load' }, (message) => {
      const text = message.stream ?? message.status;
      if (typeof text !== 'string') return;
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        opts.onProgress?.(line);
        const match = /^Loaded image(?: ID)?: (.+)$/.exec(line.trim());
        if (match?.[1]) loaded.push(...match[1].split(','));
      }
    });
    return loaded;
  }

  async save(refs: string[], opts: CallOptions = {}): Promise<Readable> {
    const res = await this.#t.request({
      method: 'GET',
      path: '/images/get',
      query: { names: refs },
      untimed: true,
      signal: opts.signal,
    });
    return res.stream();
  }

  async import(
    tar: TarStream,
    opts: CallOptions & { repo?: string; tag?: string; changes?: string[]; message?: string } = {},
  ): Promise<string> {
    const res = await this.#t.request({
      method: 'POST',
      path: '/images/create',
      query: {
        fromSrc: '-',
        // the tag goes inside repo: podman ignores a separate tag parameter, docker takes both
        repo: opts.repo && opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo,
        changes: opts.changes,
        message: opts.message,
      },
      headers: { 'content-type': 'application/x-tar' },
      body: tar,
      signal: opts.signal,
    });
    let id: string | undefined;
    await readProgress(res, { method: 'POST', path: '/images/create' }, (message) => {
      const text = (message.status ?? message.stream ?? '').trim();
      if (/^(sha256:)?[0-9a-f]{64}$/.test(text))
        id = text.startsWith('sha256:') ? text : `sha256:${text}`;
    });
    if (!id) {
      throw new StreamError('the import ended without reporting an image ID', {
        method: 'POST',
        path: '/images/create',
      });
    }
    return id;
  }

  async #authHeader(ref: string, explicit?: RegistryAuth): Promise<Record<string, string>> {
    const auth = explicit ?? (await this.#auth.authFor(ref)) ?? {};
    return { 'x-registry-auth': this.#auth.encode(auth) };
  }
}

function isTarStream(context: TarStream | DirectoryContext): context is TarStream {
  return typeof (context as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function';
}
