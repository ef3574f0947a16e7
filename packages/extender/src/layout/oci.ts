import { createHash } from 'node:crypto';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

/** The OCI/Docker image config, the parts imgext reads or writes; the rest is kept. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  config?: { Labels?: Record<string, string> | null; User?: string; [k: string]: unknown };
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  [k: string]: unknown;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

export function jsonBlob(value: unknown): { buf: Buffer; digest: string; size: number } {
  const buf = Buffer.from(JSON.stringify(value));
  return { buf, digest: sha256(buf), size: buf.length };
}

/** The history text the lifecycle gives an extension's layer. */
export function extensionHistory(createdBy: string, extension: string): string {
  return `Layer: '${createdBy}', Created by extension: ${extension}`;
}
