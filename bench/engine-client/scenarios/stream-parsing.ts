/** (b) Parser CPU cost on in-memory streams, one child process per client and round. */
import { type ChildResult, type ChildScenario, runChild } from '../child-process.js';
import { CLIENTS, type ClientName } from '../clients.js';
import { config } from '../config.js';
import { writeFixtures } from '../fixtures.js';
import { alternate, MiB, median } from '../measure.js';
import type { Row } from '../report.js';

/** Runs `scenario` per client in alternating rounds; median MiB/s and the highest peak RSS growth. */
export async function childRow(
  scenario: ChildScenario,
  rounds: number,
  row: Omit<Row, 'values' | 'rss' | 'unit' | 'higherIsBetter'>,
): Promise<Row> {
  return (await childRows(scenario, rounds, row)).rate;
}

/** As childRow, plus a row of the client process's median CPU seconds per GiB. */
export async function childRows(
  scenario: ChildScenario,
  rounds: number,
  row: Omit<Row, 'values' | 'rss' | 'unit' | 'higherIsBetter'>,
): Promise<{ rate: Row; cpu: Row }> {
  const runs: Record<ClientName, ChildResult[]> = {
    'engine-client': [],
    dockerode: [],
    undici: [],
  };
  const rates = await alternate(CLIENTS, rounds, async (client) => {
    const result = await runChild(scenario, client);
    runs[client].push(result);
    return result.bytes / MiB / result.seconds;
  });
  const rate: Row = {
    ...row,
    unit: 'MiB/s',
    higherIsBetter: true,
    values: Object.fromEntries(CLIENTS.map((c) => [c, median(rates[c])])),
    rss: Object.fromEntries(
      CLIENTS.map((c) => [c, Math.max(...runs[c].map((r) => r.peakRssMb - r.baselineRssMb))]),
    ),
  };
  const cpu: Row = {
    group: row.group,
    name: `${row.name}: client CPU`,
    unit: 'CPU s/GiB',
    higherIsBetter: false,
    values: Object.fromEntries(
      CLIENTS.map((c) => [c, median(runs[c].map((r) => r.cpuSeconds / (r.bytes / (1024 * MiB))))]),
    ),
  };
  return { rate, cpu };
}

export async function streamParsing(): Promise<Row[]> {
  const cleanup = writeFixtures(config.demuxBytes, config.jsonBytes);
  try {
    return await parsingRows();
  } finally {
    cleanup();
  }
}

async function parsingRows(): Promise<Row[]> {
  const demux = await childRow('demux', config.parseRounds, {
    group: '(b) stream parsing',
    name: `demultiplex ${config.demuxBytes / MiB} MiB of log frames (in memory)`,
    note: `one frame per 40-200 byte log line, 64 KiB chunks. dockerode gets only the first ${config.dockerodeDemuxBytes / MiB} MiB: its demuxer re-copies the rest of its buffer for every frame (quadratic), so the full size would take minutes. The undici column is the floor: reading the chunks without demultiplexing.`,
  });
  process.stderr.write('  demux done\n');
  const json = await childRow('json-lines', config.parseRounds, {
    group: '(b) stream parsing',
    name: `parse ${config.jsonBytes / MiB} MiB of JSON progress lines (in memory)`,
    note: 'CRLF-terminated pull progress lines in 64 KiB chunks. dockerode: modem.followProgress (it also keeps every event in an array). The undici column is the floor: Buffer.indexOf split + JSON.parse, no guards and no events.',
  });
  process.stderr.write('  json lines done\n');
  return [demux, json];
}
