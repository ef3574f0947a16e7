/** Runs one measurement in a fresh Node process, so that its peak RSS belongs to one client. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientName } from './clients.js';

export type ChildScenario = 'demux' | 'json-lines' | 'build-context';

export interface ChildResult {
  /** Input bytes processed. */
  bytes: number;
  seconds: number;
  /** CPU time (user + system) the client process spent on the measured work. */
  cpuSeconds: number;
  /** Frames or JSON objects seen (sanity check). */
  items: number;
  /** RSS right before the measured work, and the process's peak RSS (MiB). */
  baselineRssMb: number;
  peakRssMb: number;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export function runChild(scenario: ChildScenario, client: ClientName): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@imgext/source',
        '--import',
        here('./register-ts.mjs'),
        here('./child.ts'),
        scenario,
        client,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${scenario}/${client} child exited with ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ChildResult);
      } catch {
        reject(new Error(`${scenario}/${client} child printed no result: ${out.slice(-500)}`));
      }
    });
  });
}
