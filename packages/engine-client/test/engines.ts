/**
 * The engines the real-daemon tests run against: IMGEXT_TEST_ENGINES ("name=unix://sock,...",
 * exported by `tools/env up`), else DOCKER_HOST alone.
 */
export interface TestEngine {
  name: string;
  host: string;
  /** podman's compat API, which differs in a few documented places. */
  podman: boolean;
  /** Docker with the containerd image store (image Id = manifest digest). */
  containerdStore: boolean;
}

export function testEngines(): TestEngine[] {
  const list = process.env.IMGEXT_TEST_ENGINES;
  const pairs = list
    ? list.split(',').map((item) => {
        const eq = item.indexOf('=');
        return { name: item.slice(0, eq), host: item.slice(eq + 1) };
      })
    : process.env.DOCKER_HOST
      ? [{ name: 'DOCKER_HOST', host: process.env.DOCKER_HOST }]
      : [];
  if (pairs.length === 0) {
    throw new Error('no engine to test against: run `eval "$(tools/env up)"` first');
  }
  return pairs.map(({ name, host }) => ({
    name,
    host,
    podman: name.includes('podman') || host.includes('podman'),
    containerdStore: name === 'docker-26.1',
  }));
}

/** The stack images tools/env loads into every engine. */
export const BUILD_IMAGE =
  process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build';
export const RUN_IMAGE = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';

/** A unique-enough suffix for names of things a test creates. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Removes every image tagged in `repo` (podman lists short names as docker.io/<name>). */
export async function removeImagesOf(
  client: {
    images: {
      list(): Promise<Array<{ Id: string; RepoTags: string[] | null }>>;
      remove(ref: string, opts: { force: boolean }): Promise<unknown>;
    };
  },
  repo: string,
): Promise<void> {
  const images = await client.images.list();
  for (const image of images) {
    if (!image.RepoTags?.some((t) => t.startsWith(`${repo}:`) || t.includes(`/${repo}:`))) {
      continue;
    }
    await client.images.remove(image.Id, { force: true }).catch(() => undefined);
  }
}

/**
 * HostConfig every test container gets on `engine`. podman 4.3 gives containers
 * RLIMIT_NOFILE=1048576 by default, above this machine's hard limit (20000), and fails to start
 * them without CAP_SYS_RESOURCE; explicit limits within the host's avoid that.
 */
export function testHostConfig(engine: TestEngine): Record<string, unknown> {
  return {
    NetworkMode: 'none',
    ...(engine.podman
      ? {
          Ulimits: [
            { Name: 'nofile', Soft: 1024, Hard: 1024 },
            { Name: 'nproc', Soft: 1024, Hard: 1024 },
          ],
        }
      : {}),
  };
}
