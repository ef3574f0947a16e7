/**
 * `io.imgext.extensions`: what imgext records at build time about the extensions detect chose,
 * on the extended run image (whose labels the exporter carries into the app image): per
 * extension its version, which Dockerfiles it generated (build, run, or a run-image switch) and,
 * for a run Dockerfile, whether it declared itself rebasable. The layer history names each run
 * extension too, but not the build ones nor why the image is not rebasable.
 */
import type { GeneratedDockerfile } from './generated.js';
import type { GroupEntry } from './group.js';

export const EXTENSIONS_LABEL = 'io.imgext.extensions';

export type ExtensionKind = 'build' | 'run' | 'switch';

export interface ExtensionRecord {
  id: string;
  version?: string;
  /** The Dockerfiles it generated that did something: extend the build or run image, switch it. */
  kinds: ExtensionKind[];
  /** Run kind: its run.Dockerfile sets io.buildpacks.rebasable=true itself. */
  rebasable?: boolean;
}

/** The records of the group's extensions from the generated Dockerfiles (both kinds). */
export function extensionRecords(
  group: Pick<GroupEntry, 'id' | 'version'>[],
  generated: GeneratedDockerfile[],
): ExtensionRecord[] {
  return group.map((e) => {
    const mine = generated.filter((d) => d.extensionId === e.id);
    const kinds: ExtensionKind[] = [];
    const build = mine.find((d) => d.kind === 'build' && d.validated.extend);
    const run = mine.find((d) => d.kind === 'run' && !d.ignored && d.validated.extend);
    const switches = mine.some((d) => d.kind === 'run' && d.validated.newBase);
    if (build) kinds.push('build');
    if (switches) kinds.push('switch');
    if (run) kinds.push('run');
    const record: ExtensionRecord = { id: e.id, kinds };
    if (e.version) record.version = e.version;
    if (run) record.rebasable = run.validated.setsRebasable;
    return record;
  });
}

export function formatExtensionsLabel(records: ExtensionRecord[]): string {
  return JSON.stringify(records);
}

/** The records of an image's `io.imgext.extensions`, or undefined without (or with a bad) label. */
export function parseExtensionsLabel(
  labels: Record<string, string> | null | undefined,
): ExtensionRecord[] | undefined {
  const raw = labels?.[EXTENSIONS_LABEL];
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const kinds = new Set<string>(['build', 'run', 'switch']);
  return value.flatMap((v): ExtensionRecord[] => {
    if (!v || typeof v !== 'object' || typeof v.id !== 'string') return [];
    const r: ExtensionRecord = {
      id: v.id,
      kinds: Array.isArray(v.kinds) ? v.kinds.filter((k: unknown) => kinds.has(String(k))) : [],
    };
    if (typeof v.version === 'string') r.version = v.version;
    if (typeof v.rebasable === 'boolean') r.rebasable = v.rebasable;
    return [r];
  });
}
