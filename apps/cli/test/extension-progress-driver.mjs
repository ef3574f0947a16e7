// Drives the live extension view on this process's stderr, as the CLI would on a terminal: run
// by extension-progress.pty.test.ts under `script`, so stderr is a real pseudo-terminal.
// argv[2]: the transpiled extension-progress module.
const { createExtensionProgress } = await import(process.argv[2]);

const err = process.stderr;
err.write(`tty=${err.isTTY === true} columns=${err.columns}\n`);
const p = createExtensionProgress(err, { color: true, intervalMs: 20 });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const t0 = Date.now();
const v = (kind, extension, id, name, state, startedAt, completedAt, error) =>
  p.handle({
    type: 'extension.vertex',
    kind,
    extension,
    id,
    name,
    internal: name.startsWith('[internal]'),
    state,
    startedAt,
    completedAt,
    ...(error ? { error } : {}),
  });
const out = (kind, extension, text) =>
  p.handle({ type: 'extension.output', kind, extension, text });

v('build', 'ext-a', 'l', '[internal] load build definition from Dockerfile', 'started', t0);
await pause(60);
v('build', 'ext-a', 'l', '[internal] load build definition from Dockerfile', 'done', t0, t0 + 10);
v('build', 'ext-a', 'f', '[1/3] FROM busybox', 'cached', t0, t0);
v('build', 'ext-a', 'm', '[2/3] RUN make', 'started', t0);
v('run', 'ext-b', 'r', '[1/2] RUN apt-get install -y curl', 'started', t0);
for (let i = 1; i <= 8; i++) {
  out('build', 'ext-a', `compiling ${i}\n`);
  out('run', 'ext-b', `Unpacking ${i}\n`);
  await pause(30);
}
p.write('[  0.3s] a line from elsewhere\n');
v('build', 'ext-a', 'm', '[2/3] RUN make', 'done', t0, t0 + 1500);
v('build', 'ext-a', 'c', '[3/3] COPY --from=x / /', 'started', t0 + 1500);
await pause(60);
out('run', 'ext-b', 'E: Unable to locate package curl\n');
v(
  'run',
  'ext-b',
  'r',
  '[1/2] RUN apt-get install -y curl',
  'error',
  t0,
  t0 + 2500,
  'exit code: 100',
);
await pause(60);
v('build', 'ext-a', 'c', '[3/3] COPY --from=x / /', 'done', t0 + 1500, t0 + 1600);
await pause(60);
p.handle({
  type: 'extension.applied',
  kind: 'build',
  extension: 'ext-a',
  imageId: 'sha256:1',
  cacheHits: 1,
  steps: 3,
});
p.write('[  0.9s] ext-a extended the build image (3 steps, 1 cached)\n');
p.finish();
