/** EngineClient: the public entry point, implementing the agreed EngineClientApi. */
import type {
  CallOptions,
  ContainersApi,
  EngineClientApi,
  EngineClientOptions,
  EngineEvent,
  EventsOptions,
  ImagesApi,
  PingResult,
  RegistryAuth,
  ResolvedEndpoint,
  SystemInfo,
  VersionInfo,
  VolumesApi,
} from './api.js';
import { createAuthResolver, encodeAuthHeader } from './auth/index.js';
import { Containers } from './containers.js';
import { EngineError } from './errors.js';
import { type AuthSource, Images } from './images.js';
import { System } from './system.js';
import { Transport } from './transport.js';
import { Volumes } from './volumes.js';

export class EngineClient implements EngineClientApi {
  readonly #t: Transport;
  readonly #auth: AuthSource;
  readonly #system: System;
  // Typed as the agreed interfaces: the classes behind them hold the transport, whose types are
  // not part of the published surface.
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly volumes: VolumesApi;

  /** Nothing is resolved or contacted until the first call (or `connect()`). */
  constructor(options: EngineClientOptions = {}) {
    this.#t = new Transport(options);
    const resolver = createAuthResolver({
      ...(options.configDir ? { configDir: options.configDir } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    this.#auth = {
      authFor: (ref) => resolver.authFor(ref),
      allConfigs: (onSkip) => resolver.allConfigs(onSkip),
      configsFor: (refs, onSkip) => resolver.configsFor(refs, onSkip),
      encode: encodeAuthHeader,
    };
    this.images = new Images(this.#t, this.#auth);
    this.containers = new Containers(this.#t);
    this.volumes = new Volumes(this.#t);
    this.#system = new System(this.#t);
  }

  /** Creates a client and resolves its endpoint and API version up front. */
  static async connect(options: EngineClientOptions = {}): Promise<EngineClient> {
    const client = new EngineClient(options);
    await client.apiVersion();
    return client;
  }

  /** The resolved endpoint; available once the client has made a call (or after `connect`). */
  get endpoint(): ResolvedEndpoint {
    const endpoint = this.#t.endpoint;
    if (!endpoint) {
      throw new EngineError(
        'the endpoint is resolved on the first call: await client.apiVersion() or EngineClient.connect() first',
      );
    }
    return endpoint;
  }

  apiVersion(opts: CallOptions = {}): Promise<string> {
    return this.#t.connection().then(() => this.#t.apiVersion(opts.signal));
  }

  ping(opts: CallOptions = {}): Promise<PingResult> {
    return this.#t.ping(opts.signal);
  }

  version(opts: CallOptions = {}): Promise<VersionInfo> {
    return this.#system.version(opts);
  }

  info(opts: CallOptions = {}): Promise<SystemInfo> {
    return this.#system.info(opts);
  }

  events(opts: EventsOptions = {}): AsyncIterable<EngineEvent> {
    return this.#system.events(opts);
  }

  authFor(ref: string): Promise<RegistryAuth | undefined> {
    return this.#auth.authFor(ref);
  }

  close(): Promise<void> {
    return this.#t.close();
  }
}
