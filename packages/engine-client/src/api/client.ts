/**
 * The client as a whole: every resource API and the system calls.
 * Part of the agreed public surface (gathered in ../api.ts).
 */
import type { CallOptions, ResolvedEndpoint } from './connection.js';
import type { ContainersApi } from './containers.js';
import type { EngineEvent, EventsOptions } from './events.js';
import type { ImagesApi, RegistryAuth } from './images.js';
import type { PingResult, SystemInfo, VersionInfo } from './system.js';
import type { VolumesApi } from './volumes.js';

export interface EngineClientApi {
  readonly endpoint: ResolvedEndpoint;
  /** The negotiated (or pinned) API version; negotiates on first use. */
  apiVersion(opts?: CallOptions): Promise<string>;
  ping(opts?: CallOptions): Promise<PingResult>;
  version(opts?: CallOptions): Promise<VersionInfo>;
  info(opts?: CallOptions): Promise<SystemInfo>;
  readonly images: ImagesApi;
  readonly containers: ContainersApi;
  readonly volumes: VolumesApi;
  events(opts?: EventsOptions): AsyncIterable<EngineEvent>;
  /** Registry credentials for a reference's registry from the docker config (helpers included). */
  authFor(ref: string): Promise<RegistryAuth | undefined>;
  close(): Promise<void>;
}
