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

/** "name=host,name=host" (IMGEXT_TEST_ENGINES) into engines; empty items are skipped. */
export function parseTestEngines(list: string): TestEngine[] {
  return list
    .split(',')
    .filter((item) => item.includes('='))
    .map((item) => {
      const eq = item.indexOf('=');
      return engine(item.slice(0, eq), item.slice(eq + 1));
    })
    .filter((e) => e.name.length > 0);
}

function engine(name: string, host: string): TestEngine {
  return {
    name,
    host,
    podman: name.includes('podman') || host.includes('podman'),
    containerdStore: name === 'docker-26.1',
  };
}

/** IMGEXT_TEST_ENGINES, else DOCKER_HOST; throws when there is neither. */
export function testEngines(env: Record<string, string | undefined> = process.env): TestEngine[] {
  const engines = env.IMGEXT_TEST_ENGINES
    ? parseTestEngines(env.IMGEXT_TEST_ENGINES)
    : env.DOCKER_HOST
      ? [engine('DOCKER_HOST', env.DOCKER_HOST)]
      : [];
  if (engines.length === 0) {
    throw new Error('no engine to test against: run `eval "$(tools/env up)"` first');
  }
  return engines;
}

/** The stack images tools/env loads into every engine. */
export const BUILD_IMAGE =
  process.env.IMGEXT_STACK_BUILD_IMAGE ?? 'imgext.local/stack/busybox:build';
export const RUN_IMAGE = process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run';

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
