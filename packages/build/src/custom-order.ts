/**
 * pack's `--buildpack` and `--extension`: the detection order of a build made of the given ones
 * (one group, in the order given), written where the detector looks first (`<layers>/order.toml`,
 * before the builder's /cnb/order.toml). What is not given keeps the builder's order:
 * `--buildpack` alone keeps its order-extensions, `--extension` alone its order. Each given one
 * is an id on the builder, or a local module already read (an OrderEntry, see local-modules.ts).
 * project.toml's pre and post groups go before and after every group of the order, as pack does.
 */
import type { BuilderDescription, OrderEntry } from '@imgext/metadata';
import { BuildAppError } from './build-error.js';

type Module = { id: string; version?: string };

/** `id`, `id@version`, or pack's `urn:cnb:builder:id[@version]`, resolved on the builder. */
export function resolveOnBuilder(
  ref: string,
  available: Module[],
  what: 'buildpack' | 'extension',
  builder: string,
): OrderEntry {
  const bare = ref.replace(/^urn:cnb:builder:/, '');
  const at = bare.lastIndexOf('@');
  const id = at > 0 ? bare.slice(0, at) : bare;
  const version = at > 0 ? bare.slice(at + 1) : undefined;
  const matches = available.filter((m) => m.id === id && (!version || m.version === version));
  const listed = available.map((m) => (m.version ? `${m.id}@${m.version}` : m.id)).join(', ');
  if (matches.length === 0) {
    throw new BuildAppError(
      'ERR_NOT_ON_BUILDER',
      `${what} ${ref} is not on the builder ${builder} (it has: ${listed || 'none'})`,
      {
        hint: `give one of the builder's ${what}s, or a local folder or archive (./path); registry images are not supported yet`,
      },
    );
  }
  const versions = [...new Set(matches.map((m) => m.version).filter(Boolean))];
  if (!version && versions.length > 1) {
    throw new BuildAppError(
      'ERR_NOT_ON_BUILDER',
      `${what} ${ref}: the builder ${builder} has several versions (${versions.join(', ')}); give ${id}@<version>`,
    );
  }
  const chosen = version ?? versions[0];
  return { id, ...(chosen ? { version: chosen } : {}), optional: what === 'extension' };
}

/** A module given: an id on the builder, or a local one already resolved. */
export type GivenModule = string | OrderEntry;

/** The order.toml text of the build, from the builder's orders and the modules given. */
export function customOrderToml(
  description: Pick<BuilderDescription, 'buildpacks' | 'extensions' | 'order' | 'orderExtensions'>,
  given: {
    buildpacks: GivenModule[];
    extensions: GivenModule[];
    pre?: GivenModule[];
    post?: GivenModule[];
  },
  builder: string,
): string {
  const bp = (b: GivenModule) =>
    typeof b === 'string' ? resolveOnBuilder(b, description.buildpacks, 'buildpack', builder) : b;
  const groupsOf = given.buildpacks.length > 0 ? [given.buildpacks.map(bp)] : description.order;
  const pre = (given.pre ?? []).map(bp);
  const post = (given.post ?? []).map(bp);
  const order =
    pre.length > 0 || post.length > 0 ? groupsOf.map((g) => [...pre, ...g, ...post]) : groupsOf;
  const orderExtensions =
    given.extensions.length > 0
      ? [
          given.extensions.map((e) =>
            typeof e === 'string'
              ? resolveOnBuilder(e, description.extensions, 'extension', builder)
              : e,
          ),
        ]
      : description.orderExtensions;
  return [...groups('order', order), ...groups('order-extensions', orderExtensions)].join('\n');
}

function groups(table: string, order: OrderEntry[][]): string[] {
  return order.flatMap((group) => [
    `[[${table}]]`,
    ...group.flatMap((e) => [
      `[[${table}.group]]`,
      `id = ${JSON.stringify(e.id)}`,
      ...(e.version ? [`version = ${JSON.stringify(e.version)}`] : []),
      ...(e.optional ? ['optional = true'] : []),
    ]),
    '',
  ]);
}
