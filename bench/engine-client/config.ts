/** Sizes and repetitions, overridable from the environment (BENCH_*). */
import { MiB } from './measure.js';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const config = {
  rounds: num('BENCH_ROUNDS', 40),
  /** How long each client hammers each small-request case per round. */
  requestMs: num('BENCH_REQUEST_MS', 250),
  demuxBytes: num('BENCH_DEMUX_MB', 200) * MiB,
  /** dockerode's demuxer copies the rest of its buffer per frame (quadratic): a prefix only. */
  dockerodeDemuxBytes: num('BENCH_DOCKERODE_DEMUX_MB', 16) * MiB,
  jsonBytes: num('BENCH_JSON_MB', 50) * MiB,
  logBytes: num('BENCH_LOG_MB', 200) * MiB,
  contextBytes: num('BENCH_CONTEXT_MB', 1024) * MiB,
  parseRounds: num('BENCH_PARSE_ROUNDS', 3),
  logRounds: num('BENCH_LOG_ROUNDS', 3),
  contextRounds: num('BENCH_CONTEXT_ROUNDS', 5),
  runRounds: num('BENCH_RUN_ROUNDS', 3),
  runsPerRound: num('BENCH_RUNS', 10),
  /** BENCH_ONLY=a,c: only these groups (a partial run prints its table, writes no results). */
  only: process.env.BENCH_ONLY
    ? new Set(process.env.BENCH_ONLY.split(',').map((g) => g.trim().toLowerCase()))
    : undefined,
  image: process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run',
};

/**
 * The build-context scenario's Dockerfile. Its LABEL step is built once before the measured
 * rounds, so that every measured build hits the same cache and does the same daemon work.
 */
export const contextDockerfile = `FROM ${config.image}\nLABEL imgext.bench=context\n`;
