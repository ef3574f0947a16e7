/**
 * Are pack's and imgext's images of the same inputs equivalent? Both run and print the same, carry
 * the same app and buildpack layers, the same extension effects (files under /etc/bench-run and
 * /opt), the same io.buildpacks.rebasable and the same runImage fields of
 * io.buildpacks.lifecycle.metadata.
 */
export interface Equivalence {
  key: string;
  checked: string[];
  differences: string[];
}

interface LifecycleMetadata {
  app?: { sha?: string }[];
  buildpacks?: { key: string; layers?: Record<string, { sha?: string }> }[];
  runImage?: { topLayer?: string; reference?: string; image?: string };
}

export interface EquivalenceInput {
  key: string;
  docker: (args: string[], allowFail?: boolean) => string;
  pack: string;
  imgext: string;
}

/** What the run-image extensions left: every file under /etc/bench-run and /opt/bench-run-*. */
const EFFECTS =
  'find /etc/bench-run /opt -type f 2>/dev/null | sort | while read f; do echo "$f $(cat "$f" | cksum)"; done | cksum; ls /etc/bench-run 2>/dev/null; cat /etc/imgext-bench-run-alt 2>/dev/null; command -v curl || true';

export function checkEquivalence(input: EquivalenceInput): Equivalence {
  const { docker } = input;
  const checked: string[] = [];
  const differences: string[] = [];
  const inspect = (image: string) => {
    const [cfg] = JSON.parse(docker(['image', 'inspect', image])) as {
      Config: { Labels?: Record<string, string> };
      RootFS: { Layers: string[] };
    }[];
    return cfg!;
  };
  const p = inspect(input.pack);
  const i = inspect(input.imgext);
  const label = (x: typeof p, k: string) => x.Config.Labels?.[k];
  const compare = (what: string, a: unknown, b: unknown) => {
    checked.push(what);
    const sa = JSON.stringify(a);
    const sb = JSON.stringify(b);
    if (sa !== sb) differences.push(`${what}: pack ${sa}, imgext ${sb}`);
  };
  compare(
    'io.buildpacks.rebasable',
    label(p, 'io.buildpacks.rebasable'),
    label(i, 'io.buildpacks.rebasable'),
  );
  const md = (x: typeof p) =>
    JSON.parse(label(x, 'io.buildpacks.lifecycle.metadata') ?? '{}') as LifecycleMetadata;
  const pm = md(p);
  const im = md(i);
  compare('runImage.topLayer', pm.runImage?.topLayer, im.runImage?.topLayer);
  compare('runImage.reference', pm.runImage?.reference, im.runImage?.reference);
  compare('runImage.image', pm.runImage?.image, im.runImage?.image);
  compare(
    'app layers',
    pm.app?.map((a) => a.sha),
    im.app?.map((a) => a.sha),
  );
  const bpLayers = (m: LifecycleMetadata) =>
    (m.buildpacks ?? []).map((b) => [
      b.key,
      Object.entries(b.layers ?? {}).map(([n, l]) => [n, l.sha]),
    ]);
  compare('buildpack layers', bpLayers(pm), bpLayers(im));
  compare('layer count', p.RootFS.Layers.length, i.RootFS.Layers.length);
  const run = (image: string, args: string[]) =>
    docker(['run', '--rm', '--network', 'none', ...args, image], true);
  compare('process output', run(input.pack, []), run(input.imgext, []));
  const effects = (image: string) =>
    docker(
      ['run', '--rm', '--network', 'none', '--entrypoint', '/bin/sh', image, '-c', EFFECTS],
      true,
    );
  compare('run-image extension effects', effects(input.pack), effects(input.imgext));
  return { key: input.key, checked, differences };
}
