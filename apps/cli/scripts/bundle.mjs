// The published command as a few bundled ES modules instead of ~300: dist/cli/imgext.js (what
// bin/imgext.js loads) and the chunks it imports lazily (yargs, each command, the BuildKit
// session), built from the TypeScript sources of this package and the workspace packages (the
// @imgext/source condition) with their dependencies inlined; Node's builtins stay imports.
// Source maps beside them: bin/imgext.js maps a crash's stack trace to the src/*.ts lines.
// Runs after tsc (`pnpm build`); dist/*.js and its .d.ts stay the package's library export.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist/cli');
await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { imgext: 'src/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  conditions: ['@imgext/source'],
  sourcemap: 'linked',
  sourcesContent: false,
  chunkNames: '[name]-[hash]',
  // CommonJS dependencies (undici, tar-stream) require Node's builtins at run time.
  banner: {
    js: "import { createRequire as __imgextRequire } from 'node:module'; const require = __imgextRequire(import.meta.url);",
  },
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
});
if (result.errors.length > 0) process.exit(1);
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const inputs = Object.keys(result.metafile.inputs).length;
console.log(`bundle: ${inputs} modules -> ${outputs.length} files in dist/cli`);
