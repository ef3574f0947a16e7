#!/usr/bin/env node
// The imgext command: runs main() from the built package, aborts work cleanly on SIGINT/SIGTERM
// (a second signal exits at once), and exits with main's code.
import { main } from '../dist/main.js';

const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort(new Error(`interrupted by ${sig}`));
  });
}
process.exitCode = await main(process.argv.slice(2), { signal: controller.signal });
