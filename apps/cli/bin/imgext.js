#!/usr/bin/env -S node --
// The imgext command. `node --` in the shebang: node itself must never read imgext's flags
// (Node 20 takes `--env-file X` from anywhere on its command line and exits before imgext runs).
//
// Signals: the first SIGINT/SIGTERM aborts the work, which then cleans up what it made. A signal
// that arrives while that clean-up runs is ignored unless it comes a while after the first (a
// terminal, `timeout`, npm and CI runners often forward the same Ctrl-C twice, microseconds
// apart); such a deliberate second one exits at once, saying what may be left behind.
//
// A closed stdout (`imgext build --json | head -2`) aborts the work the same way, and the
// command exits 141 (as a process killed by SIGPIPE would) once it has cleaned up.
//
// Start-up: the command is a few bundled modules (dist/cli, apps/cli/scripts/bundle.mjs), loaded
// after V8's compile cache is on where Node has one (22.1 and later; NODE_DISABLE_COMPILE_CACHE=1
// turns it off). Node's source maps stay off (parsing the bundle's maps cost ~0.1 s of every
// build: errors' stacks are taken on ordinary paths too); a crash's stack trace is mapped to the
// src/*.ts lines here instead, from the maps beside the bundle.
import { readFileSync, writeSync } from 'node:fs';
import module from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

module.enableCompileCache?.();

const maps = new Map();
const bundled = /(file:\/\/[^\s()]+\/dist\/cli\/[^\s():]+\.js):(\d+):(\d+)/g;
/** `stack` with the bundle's positions replaced by the sources' (unchanged where it cannot). */
function mapStack(stack) {
  return stack.replace(bundled, (whole, url, line, column) => {
    try {
      const file = fileURLToPath(url);
      if (!maps.has(file)) {
        maps.set(file, new module.SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      }
      const entry = maps.get(file).findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry?.originalSource) return whole;
      const source = resolve(dirname(file), entry.originalSource);
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    } catch {
      return whole;
    }
  });
}
process.on('uncaughtException', (err) => {
  const text = err instanceof Error && err.stack ? mapStack(err.stack) : String(err);
  writeSync(2, `${text}\n`);
  process.exit(1);
});

const { main } = await import('../dist/cli/imgext.js');

const DELIBERATE_AFTER_MS = 1000;
const EXIT_PIPE = 141;
const controller = new AbortController();
let firstSignalAt = 0;
let pipeClosed = false;

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    const now = performance.now();
    if (!controller.signal.aborted) {
      firstSignalAt = now;
      controller.abort(new Error(`interrupted by ${sig}`));
      return;
    }
    if (now - firstSignalAt < DELIBERATE_AFTER_MS) return;
    process.stderr.write(
      `imgext: ${sig} again: exiting without finishing the clean-up (see 'imgext prune' and docs/cli.md)\n`,
    );
    process.exit(130);
  });
}

// Writes after the reader went away are dropped; the first EPIPE (stdout's, or stderr's, where
// progress and errors go: `imgext build 2>&1 >/dev/null | head`) stops the work.
const closed = { stdout: false, stderr: false };
const wrap = (name) => {
  const stream = process[name];
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    closed[name] = true;
    pipeClosed = true;
    if (!controller.signal.aborted) controller.abort(new Error(`${name} was closed`));
  });
  return {
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns;
    },
    get rows() {
      return stream.rows;
    },
    write: (text) => (closed[name] || stream.destroyed ? true : stream.write(text)),
  };
};
const stdout = wrap('stdout');
const stderr = wrap('stderr');

const code = await main(process.argv.slice(2), { signal: controller.signal, stdout, stderr });
process.exitCode = pipeClosed ? EXIT_PIPE : code;
