/**
 * pack's local buildpacks and extensions (`--buildpack ./dir`, `--extension ./ext.tgz`, a
 * project.toml group entry's `uri`): a folder holding buildpack.toml / extension.toml, or a tar
 * (gzipped or not) of one. Read and checked on the client before the engine is asked anything.
 * The build puts them into its session's modules volume (PATHS.modules), laid out as the lifecycle
 * reads them (`buildpacks/<escaped id>/<version>/`), beside links to the builder's own modules
 * (`/cnb/buildpacks/...`), and points the detector and builder at it: an order may mix both.
 */
import { createReadStream } from 'node:fs';
import { access, constants, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { TarStream } from '@imgext/engine-client';
import { extractTo, type MemoryFile, packDirectory, packFiles } from '@imgext/lifecycle';
import { escapeId, MetadataError, type OrderEntry, parseToml } from '@imgext/metadata';
import { BuildAppError, type BuildAppErrorCode } from './build-error.js';

export type ModuleKind = 'buildpack' | 'extension';

/** A local buildpack or extension: its folder or archive. */
export interface LocalModuleRef {
  /** Absolute, or relative to the current folder; `file://` and `~/` are understood. */
  path: string;
  /** How the user gave it, for messages (e.g. `--buildpack ./bp`); default `path`. */
  given?: string;
}

/** A module of a build: an id on the builder (`id`, `id@version`, `urn:cnb:builder:id`) or local. */
export type ModuleRef = string | LocalModuleRef;

export interface LocalModule {
  kind: ModuleKind;
  id: string;
  version: string;
  /** The folder uploaded: the one given, or where its archive was extracted. */
  dir: string;
  given: string;
}

/** The codes of what is wrong with a local module (usage errors: the user gave it). */
export const LOCAL_MODULE_ERRORS: ReadonlySet<BuildAppErrorCode> = new Set([
  'ERR_LOCAL_MODULE_NOT_FOUND',
  'ERR_LOCAL_MODULE_NO_DESCRIPTOR',
  'ERR_LOCAL_MODULE_WRONG_KIND',
  'ERR_LOCAL_MODULE_INVALID',
  'ERR_LOCAL_MODULE_MISSING_BIN',
  'ERR_LOCAL_MODULE_ARCHIVE',
  'ERR_LOCAL_MODULE_UNSUPPORTED',
]);

/**
 * Whether a module string names a local path rather than an id: absolute, `./`, `../`, `~/`,
 * `file://`, or a `.tgz`/`.tar`/`.tar.gz` name. (pack also takes any existing path; the CLI
 * checks that against its current folder.)
 */
export function isLocalModulePath(ref: string): boolean {
  return /^(\/|\.\.?(\/|$)|~(\/|$)|file:\/\/)/.test(ref) || /\.(tgz|tar|tar\.gz)$/i.test(ref);
}

/** The local path a reference names (file://, ~ expanded), absolute. */
export function localModulePath(path: string, base = process.cwd()): string {
  let p = path.startsWith('file://') ? decodeURIComponent(path.slice('file://'.length)) : path;
  if (p === '~' || p.startsWith('~/')) p = join(homedir(), p.slice(1));
  return resolve(base, p);
}

const DESCRIPTOR: Record<ModuleKind, string> = {
  buildpack: 'buildpack.toml',
  extension: 'extension.toml',
};

function fail(code: BuildAppErrorCode, message: string, hint?: string): never {
  throw new BuildAppError(code, message, hint ? { hint } : {});
}

/** The local modules of a build, read; `dispose()` removes the extracted archives. */
export class LocalModules {
  readonly modules: LocalModule[] = [];
  #tmp: string | undefined;

  /** Reads and checks a local module (see readLocalModule); archives are extracted. */
  async add(ref: LocalModuleRef, kind: ModuleKind): Promise<OrderEntry> {
    const m = await readLocalModule(ref, kind, async () => {
      this.#tmp ??= await mkdtemp(join(tmpdir(), 'imgext-modules-'));
      return mkdtemp(join(this.#tmp, 'm-'));
    });
    this.modules.push(m);
    return { id: m.id, version: m.version, optional: kind === 'extension' };
  }

  get hasExtensions(): boolean {
    return this.modules.some((m) => m.kind === 'extension');
  }

  async dispose(): Promise<void> {
    if (this.#tmp) await rm(this.#tmp, { recursive: true, force: true });
    this.#tmp = undefined;
  }

  /**
   * The tar streams to extract at PATHS.modules, in order: first the folders and a link for each
   * of the builder's modules (`builderModules`, from its labels; see builderModules), then each
   * local module under `<kind>s/<escaped id>/<version>/`: owned by root, modes kept but readable
   * (folders and executables enterable/executable) by everyone, so the CNB user can run them.
   */
  archives(builder: { buildpacks: ModuleId[]; extensions: ModuleId[] }): TarStream[] {
    const root = { uid: 0, gid: 0 };
    const local = new Set(this.modules.map((m) => `${m.kind}s/${escapeId(m.id)}/${m.version}`));
    const skeleton: MemoryFile[] = [
      // The volume's root too: root's, 0755, whatever the engine made it.
      { path: '.', content: '', directory: true },
      { path: 'buildpacks', content: '', directory: true },
      { path: 'extensions', content: '', directory: true },
    ];
    for (const [kind, list] of [
      ['buildpack', builder.buildpacks],
      ['extension', builder.extensions],
    ] as const) {
      for (const b of list) {
        const path = `${kind}s/${escapeId(b.id)}/${b.version}`;
        if (local.has(path)) continue;
        skeleton.push({ path, content: '', linkname: `/cnb/${path}` });
      }
    }
    for (const path of local) {
      skeleton.push({ path: path.slice(0, path.lastIndexOf('/')), content: '', directory: true });
    }
    return [
      packFiles(skeleton, root),
      ...this.modules.map((m) =>
        packDirectory(m.dir, `${m.kind}s/${escapeId(m.id)}/${m.version}`, root, {
          mode: readableMode,
        }),
      ),
    ];
  }
}

export interface ModuleId {
  id: string;
  version: string;
}

/**
 * Every buildpack and extension on the builder (its io.buildpacks.buildpack.layers and
 * io.buildpacks.extension.layers labels, nested ones too), else those its metadata lists.
 */
export function builderModules(
  labels: Record<string, string> | null | undefined,
  listed: {
    buildpacks: Array<{ id: string; version?: string }>;
    extensions: typeof listed.buildpacks;
  },
): { buildpacks: ModuleId[]; extensions: ModuleId[] } {
  const read = (label: string, fallback: typeof listed.buildpacks): ModuleId[] => {
    const raw = labels?.[label];
    if (raw) {
      try {
        const layers = JSON.parse(raw) as Record<string, Record<string, unknown>>;
        return Object.entries(layers).flatMap(([id, versions]) =>
          Object.keys(versions ?? {}).map((version) => ({ id, version })),
        );
      } catch {
        // An unreadable label: the metadata's list below.
      }
    }
    return fallback.flatMap((b) => (b.version ? [{ id: b.id, version: b.version }] : []));
  };
  return {
    buildpacks: read('io.buildpacks.buildpack.layers', listed.buildpacks),
    extensions: read('io.buildpacks.extension.layers', listed.extensions),
  };
}

function readableMode(type: 'file' | 'directory' | 'symlink', mode: number): number {
  if (type === 'directory') return mode | 0o555;
  if (type === 'file') return mode | 0o444 | (mode & 0o111 ? 0o111 : 0);
  return mode;
}

/**
 * Reads a local buildpack or extension: its folder, or its archive extracted into `scratch()`.
 * Throws a BuildAppError (ERR_LOCAL_MODULE_*) when the path does not exist, is not a folder or
 * tar archive, has neither descriptor, the other kind's descriptor, an invalid one, or lacks
 * bin/detect and bin/build (a buildpack; a composite one, with `[[order]]`, needs neither) or
 * bin/generate (an extension).
 */
export async function readLocalModule(
  ref: LocalModuleRef,
  kind: ModuleKind,
  scratch: () => Promise<string>,
): Promise<LocalModule> {
  const abs = localModulePath(ref.path);
  const given = ref.given ?? `${kind} ${ref.path}`;
  const info = await stat(abs).catch((err: NodeJS.ErrnoException) =>
    fail(
      'ERR_LOCAL_MODULE_NOT_FOUND',
      err.code === 'ENOENT'
        ? `${given}: no such folder or archive (${abs})`
        : `${given}: cannot read ${abs} (${err.code ?? err.message})`,
    ),
  );
  let dir = abs;
  let where = `the folder ${abs}`;
  let fileName = (name: string) => join(abs, name);
  if (info.isFile()) {
    dir = await scratch();
    await extractArchive(abs, dir, given, kind);
    where = `the archive ${abs} (at its top)`;
    fileName = (name: string) => `${name} of the archive ${abs}`;
  } else if (!info.isDirectory()) {
    fail('ERR_LOCAL_MODULE_ARCHIVE', `${given}: ${abs} is neither a folder nor an archive`);
  }
  const other: ModuleKind = kind === 'buildpack' ? 'extension' : 'buildpack';
  const has = async (name: string) => (await fileInfo(join(dir, name)))?.isFile() === true;
  if (!(await has(DESCRIPTOR[kind]))) {
    if (await has(DESCRIPTOR[other])) {
      fail(
        'ERR_LOCAL_MODULE_WRONG_KIND',
        `${given}: is ${other === 'extension' ? 'an extension' : 'a buildpack'} (${where} has ${DESCRIPTOR[other]}, no ${DESCRIPTOR[kind]})`,
        `give it as ${other === 'extension' ? 'an extension (--extension)' : 'a buildpack (--buildpack)'}`,
      );
    }
    fail(
      'ERR_LOCAL_MODULE_NO_DESCRIPTOR',
      `${given}: ${where} has neither buildpack.toml nor extension.toml`,
      `a local ${kind} is a folder (or a .tgz/.tar of one) with ${DESCRIPTOR[kind]} at its top`,
    );
  }
  const file = fileName(DESCRIPTOR[kind]);
  const invalid = (message: string): never =>
    fail('ERR_LOCAL_MODULE_INVALID', `${given}: ${file}: ${message}`);
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(await readFile(join(dir, DESCRIPTOR[kind]), 'utf8'), file);
  } catch (err) {
    if (err instanceof MetadataError) {
      invalid(`not valid TOML: ${err.message}${err.line ? ` (line ${err.line})` : ''}`);
    }
    invalid(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const table = doc![kind];
  if (typeof table !== 'object' || table === null || Array.isArray(table)) {
    invalid(`no [${kind}] table`);
  }
  const t = table as Record<string, unknown>;
  for (const key of ['id', 'version']) {
    if (typeof t[key] !== 'string' || !t[key]) invalid(`[${kind}] has no ${key}`);
  }
  const id = t.id as string;
  const version = t.version as string;
  if (/[\s]/.test(id) || id.includes('..') || version.includes('/') || version.includes('..')) {
    invalid(`[${kind}] id "${id}" / version "${version}" cannot name a folder`);
  }
  const composite = kind === 'buildpack' && Array.isArray(doc!.order);
  const bins = kind === 'extension' ? ['generate'] : composite ? [] : ['detect', 'build'];
  for (const bin of bins) {
    const st = await fileInfo(join(dir, 'bin', bin));
    if (!st?.isFile()) {
      fail(
        'ERR_LOCAL_MODULE_MISSING_BIN',
        `${given}: ${where} has no bin/${bin} (a ${kind} needs ${bins.map((b) => `bin/${b}`).join(' and ')})`,
      );
    }
    if ((st.mode & 0o111) === 0) {
      fail(
        'ERR_LOCAL_MODULE_MISSING_BIN',
        `${given}: bin/${bin} of ${where} is not executable`,
        `chmod +x bin/${bin}`,
      );
    }
  }
  return { kind, id, version, dir, given };
}

async function fileInfo(path: string) {
  return stat(path).catch(() => undefined);
}

/** Extracts a tar (gzipped or not: told by its first bytes, not its name) into `dir`. */
async function extractArchive(
  archive: string,
  dir: string,
  given: string,
  kind: ModuleKind,
): Promise<void> {
  await access(archive, constants.R_OK).catch((err: NodeJS.ErrnoException) =>
    fail('ERR_LOCAL_MODULE_NOT_FOUND', `${given}: cannot read ${archive} (${err.code})`),
  );
  const head = Buffer.alloc(2);
  const fh = await open(archive, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const file = createReadStream(archive);
  let stream: Readable = file;
  if (gzip) {
    const gunzip = createGunzip();
    file.on('error', (err) => gunzip.destroy(err));
    stream = file.pipe(gunzip);
  }
  try {
    await extractTo(stream, dir);
  } catch (err) {
    file.destroy();
    fail(
      'ERR_LOCAL_MODULE_ARCHIVE',
      `${given}: ${basename(archive)} is not a ${gzip ? 'gzipped ' : ''}tar archive of a ${kind} (${(err as Error).message.split('\n')[0]})`,
      'give a folder with buildpack.toml or extension.toml, or a .tgz/.tar of one',
    );
  }
}
