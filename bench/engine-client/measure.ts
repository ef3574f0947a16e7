/** Timing helpers: alternating rounds, medians, operation rates. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `measure` for every client in every round, rotating which client goes first so that no
 * client always meets a cold (or warm) daemon; returns every measurement per client.
 */
export async function alternate<C extends string>(
  clients: readonly C[],
  rounds: number,
  measure: (client: C, round: number) => Promise<number>,
): Promise<Record<C, number[]>> {
  const results = Object.fromEntries(clients.map((c) => [c, [] as number[]])) as Record<
    C,
    number[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < clients.length; i++) {
      const client = clients[(i + round) % clients.length]!;
      results[client].push(await measure(client, round));
    }
  }
  return results;
}

/** Operations per second of `op` run `count` times with `concurrency` in flight. */
export async function opsPerSecond(
  op: () => Promise<unknown>,
  count: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await op();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - start) / 1000);
}

/** Operations per second of `op` run for `ms` milliseconds with `concurrency` in flight. */
export async function rateFor(
  op: () => Promise<unknown>,
  ms: number,
  concurrency: number,
): Promise<number> {
  const start = performance.now();
  const end = start + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - start) / 1000);
}

/** Seconds taken by `fn`. */
export async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export const MiB = 1024 * 1024;
