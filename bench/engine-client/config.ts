/** Sizes and repetitions, overridable from the environment (BENCH_*). */
import { MiB } from './measure.js';

const num = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export const config = {
  rounds: num('BENCH_ROUNDS', 4),
  /** How long each client hammers each small-request case per round. */
  requestMs: num('BENCH_REQUEST_MS', 1500),
  demuxBytes: num('BENCH_DEMUX_MB', 200) * MiB,
  /** dockerode's demuxer copies the rest of its buffer per frame (quadratic): a prefix only. */
  dockerodeDemuxBytes: num('BENCH_DOCKERODE_DEMUX_MB', 16) * MiB,
  jsonBytes: num('BENCH_JSON_MB', 50) * MiB,
  logBytes: num('BENCH_LOG_MB', 200) * MiB,
  contextBytes: num('BENCH_CONTEXT_MB', 1024) * MiB,
  parseRounds: num('BENCH_PARSE_ROUNDS', 3),
  logRounds: num('BENCH_LOG_ROUNDS', 3),
  contextRounds: num('BENCH_CONTEXT_ROUNDS', 2),
  runRounds: num('BENCH_RUN_ROUNDS', 3),
  runsPerRound: num('BENCH_RUNS', 10),
  image: process.env.IMGEXT_STACK_RUN_IMAGE ?? 'imgext.local/stack/busybox:run',
};
