/**
 * engine-client vs dockerode vs bare undici against the same daemon (DOCKER_HOST), alternating
 * rounds. Not a test: prints a table of rates, ratios and peak memory and writes
 * bench/results/engine-client.md. Sizes and rounds: see config.ts (BENCH_* variables).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openClients } from './clients.js';
import { config } from './config.js';
import { markdownTable, notes, type Row, textTable } from './report.js';
import { buildContext } from './scenarios/build-context.js';
import { containerLogs } from './scenarios/container-logs.js';
import { containerRun } from './scenarios/container-run.js';
import { smallRequests } from './scenarios/small-requests.js';
import { streamParsing } from './scenarios/stream-parsing.js';

const started = performance.now();
const selected = (group: string) => !config.only || config.only.has(group);
const clients = await openClients();
const rows: Row[] = [];
const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
  process.stderr.write(`${name}...\n`);
  const result = await fn();
  process.stderr.write(`${name}: ${((performance.now() - started) / 1000).toFixed(0)} s elapsed\n`);
  return result;
};

try {
  const version = await clients.engine.version();
  if (selected('a')) rows.push(...(await step('(a) small requests', () => smallRequests(clients))));
  if (selected('b')) rows.push(...(await step('(b) in-memory parsing', () => streamParsing())));
  if (selected('b')) rows.push(await step('(b) real logs', () => containerLogs(clients)));
  if (selected('c')) rows.push(...(await step('(c) build context', () => buildContext(clients))));
  if (selected('d')) rows.push(await step('(d) container run', () => containerRun(clients)));

  const minutes = (performance.now() - started) / 60_000;
  const setting = [
    `Engine: Docker ${version.Version} (API ${clients.apiVersion}) on a unix socket; Node ${process.version}; ${cpus().length} CPU (${cpus()[0]?.model.trim()}).`,
    `Clients: @imgext/engine-client (workspace sources), dockerode 4.0.8, bare undici Pool (16 connections, versioned paths, no client logic). Medians of ${config.rounds} alternating rounds of ${config.requestMs / 1000} s per client for (a), ${config.parseRounds} for in-memory parsing, ${config.logRounds} for logs, ${config.contextRounds} for the build context, ${config.runRounds} x ${config.runsPerRound} runs for (d). Total ${minutes.toFixed(1)} min.`,
    '"ec vs X" is engine-client\'s speed relative to X: above 1.00x engine-client is faster.',
    "Rows where the daemon does the work move with the machine's load: compare ratios from a quiet machine.",
  ];
  const table = textTable(rows);
  console.log(`\n${table}\n`);
  for (const line of [...setting, ...notes(rows)]) console.log(line);
  if (config.only) {
    console.log(`\nBENCH_ONLY: a partial run; results/engine-client.md is left as it is.`);
  } else {
    const out = fileURLToPath(new URL('../results/engine-client.md', import.meta.url));
    mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
    writeFileSync(
      out,
      [
        '# engine-client benchmark',
        '',
        `Measured ${new Date().toISOString()} by \`pnpm bench\` (bench/engine-client/run.ts).`,
        '',
        ...setting.map((s) => `${s}\n`),
        markdownTable(rows),
        '',
        ...notes(rows),
        '',
      ].join('\n'),
    );
    console.log(`\nwritten to ${out}`);
  }
} finally {
  await clients.close();
}
