/**
 * Rebase in the daemon, done by imgext itself: the lifecycle's rebaser fails in daemon mode here
 * ("could not find base layer in image", on both image stores, for images with and without
 * extensions), while its registry mode works. The daemon has no API to put layers together, so
 * this saves the app image and the new run image (`GET /images/get`), writes one image archive
 * of the new run image's layers, then the app's layers above the old run image's top layer (the
 * run extensions' layers among them), with the app's config brought up to date as the rebaser
 * does it (rootfs, history, OS, io.buildpacks.lifecycle.metadata, io.buildpacks.stack.* labels),
 * and loads it (`POST /images/load`). Saved archives go through a temporary folder on the client.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EngineClientApi } from '@imgext/engine-client';
import { LIFECYCLE_METADATA_LABEL } from '@imgext/metadata';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { BuildAppError } from './build-error.js';

export interface DaemonRebaseOptions {
  /** The image to rebase. */
  from: string;
  /** The name to give the result. */
  image: string;
  /** The new run image (in the daemon). */
  runImage: string;
  signal?: AbortSignal;
}

interface SavedImage {
  dir: string;
  config: ImageConfigFile;
  /** Layer files (paths in `dir`), in diffID order. */
  layers: string[];
}

interface ImageConfigFile {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: { Labels?: Record<string, string> | null } & Record<string, unknown>;
  rootfs: { type: string; diff_ids: string[] };
  history?: Array<{ empty_layer?: boolean } & Record<string, unknown>>;
  [key: string]: unknown;
}

/** Rebases `from` onto `runImage` in the daemon, tagged `image`; resolves the new image ID. */
export async function rebaseInDaemon(
  client: EngineClientApi,
  o: DaemonRebaseOptions,
): Promise<string> {
  const call = o.signal ? { signal: o.signal } : {};
  const tmp = await mkdtemp(join(tmpdir(), 'imgext-rebase-'));
  try {
    const app = await save(client, o.from, join(tmp, 'app'), o.signal);
    const base = await save(client, o.runImage, join(tmp, 'base'), o.signal);
    const baseId = (await client.images.inspect(o.runImage, call)).Id;
    const labels = app.config.config?.Labels ?? {};
    const md = JSON.parse(labels[LIFECYCLE_METADATA_LABEL] ?? '{}') as LifecycleMetadata;
    const top = md.runImage?.topLayer;
    const k = top ? app.config.rootfs.diff_ids.indexOf(top) : -1;
    if (k < 0) {
      throw new BuildAppError(
        'ERR_NOT_AN_APP_IMAGE',
        `${o.from}: the run image's top layer ${top ?? '(not recorded)'} is not among its layers`,
      );
    }
    const config = rebasedConfig(app.config, base.config, k, {
      runImage: o.runImage,
      runImageId: baseId,
      md,
    });
    const layers = [...base.layers, ...app.layers.slice(k + 1)].map((p, i) => ({
      src: p,
      name: `layer-${i}.tar`,
    }));
    const archive = tarPack();
    const writing = (async () => {
      const entry = (name: string, content: string) =>
        new Promise<void>((done, fail) =>
          archive.entry({ name }, content, (err) => (err ? fail(err) : done())),
        );
      await entry('config.json', JSON.stringify(config));
      await entry(
        'manifest.json',
        JSON.stringify([
          { Config: 'config.json', RepoTags: [o.image], Layers: layers.map((l) => l.name) },
        ]),
      );
      for (const l of layers) {
        const { size } = await stat(l.src);
        await new Promise<void>((done, fail) => {
          const sink = archive.entry({ name: l.name, size }, (err) => (err ? fail(err) : done()));
          pipeline(createReadStream(l.src), sink).catch(fail);
        });
      }
      archive.finalize();
    })();
    writing.catch((err: unknown) => archive.destroy(err as Error));
    await Promise.all([
      client.images.load(archive as unknown as AsyncIterable<Uint8Array>, call),
      writing,
    ]);
    return (await client.images.inspect(o.image, call)).Id;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

interface LifecycleMetadata {
  runImage?: { topLayer?: string; reference?: string; image?: string; mirrors?: string[] };
  stack?: { runImage?: { image?: string; mirrors?: string[] } };
  [key: string]: unknown;
}

/** The app's config on the new run image, as the lifecycle's rebaser writes it. */
export function rebasedConfig(
  app: ImageConfigFile,
  base: ImageConfigFile,
  topIndex: number,
  o: { runImage: string; runImageId: string; md: LifecycleMetadata },
): ImageConfigFile {
  const appHistory = app.history ?? [];
  // The history entries up to the old run image's top layer are the run image's.
  let cut = 0;
  for (let seen = 0; cut < appHistory.length && seen <= topIndex; cut++) {
    if (!appHistory[cut]?.empty_layer) seen++;
  }
  const md: LifecycleMetadata = {
    ...o.md,
    runImage: {
      ...o.md.runImage,
      topLayer: base.rootfs.diff_ids.at(-1) as string,
      reference: o.runImageId.replace(/^sha256:/, ''),
    },
  };
  const named =
    o.md.runImage?.image === o.runImage || (o.md.runImage?.mirrors ?? []).includes(o.runImage);
  if (!named && md.runImage) {
    md.runImage.image = o.runImage;
    md.runImage.mirrors = [];
    md.stack = { runImage: { image: o.runImage, mirrors: [] } };
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(app.config?.Labels ?? {})) {
    if (!k.startsWith('io.buildpacks.stack.')) labels[k] = v;
  }
  for (const [k, v] of Object.entries(base.config?.Labels ?? {})) {
    if (k.startsWith('io.buildpacks.stack.')) labels[k] = v;
  }
  labels[LIFECYCLE_METADATA_LABEL] = JSON.stringify(md);
  const out: ImageConfigFile = {
    ...app,
    config: { ...app.config, Labels: labels },
    rootfs: {
      type: 'layers',
      diff_ids: [...base.rootfs.diff_ids, ...app.rootfs.diff_ids.slice(topIndex + 1)],
    },
    history: [...(base.history ?? []), ...appHistory.slice(cut)],
  };
  if (base.architecture) out.architecture = base.architecture;
  if (base.os) out.os = base.os;
  if (base.variant) out.variant = base.variant;
  else delete out.variant;
  return out;
}

/** `docker save` of one image into `dir`: its config and its layer files in order. */
async function save(
  client: EngineClientApi,
  ref: string,
  dir: string,
  signal?: AbortSignal,
): Promise<SavedImage> {
  await mkdir(dir, { recursive: true });
  const stream = await client.images.save([ref], signal ? { signal } : {});
  await extractFiles(stream, dir);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Array<{
    Config: string;
    Layers: string[];
  }>;
  const entry = manifest[0];
  if (!entry) throw new BuildAppError('ERR_IMAGE_NOT_FOUND', `saving ${ref} gave no image`);
  const config = JSON.parse(await readFile(inside(dir, entry.Config), 'utf8')) as ImageConfigFile;
  return { dir, config, layers: entry.Layers.map((l) => inside(dir, l)) };
}

function inside(dir: string, path: string): string {
  const p = normalize(join(dir, path));
  if (!p.startsWith(`${dir}/`)) {
    throw new BuildAppError(
      'ERR_NOT_AN_APP_IMAGE',
      `an image archive names a path outside it: ${path}`,
    );
  }
  return p;
}

/** Extracts the regular files of a tar stream into `dir` (links are not needed here). */
async function extractFiles(stream: Readable, dir: string): Promise<void> {
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      if (header.type !== 'file') {
        body.resume();
        body.on('end', next);
        return;
      }
      let target: string;
      try {
        target = inside(dir, header.name);
      } catch (err) {
        reject(err);
        return;
      }
      mkdir(dirname(target), { recursive: true })
        .then(() => pipeline(body, createWriteStream(target)))
        .then(() => next(), reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  await Promise.all([pipeline(stream, ex), done]);
}
