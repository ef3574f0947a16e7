/**
 * Volumes: create, inspect, list, remove.
 * Part of the agreed public surface (gathered in ../api.ts).
 */
import type { CallOptions } from './connection.js';

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Record<string, string> | null;
  CreatedAt?: string;
}

export interface VolumesApi {
  create(
    opts?: CallOptions & { name?: string; labels?: Record<string, string>; driver?: string },
  ): Promise<Volume>;
  inspect(name: string, opts?: CallOptions): Promise<Volume>;
  list(opts?: CallOptions & { filters?: Record<string, string[]> }): Promise<Volume[]>;
  remove(name: string, opts?: CallOptions & { force?: boolean }): Promise<void>;
}
