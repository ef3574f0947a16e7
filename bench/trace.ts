/**
 * One build of an app with the sample builder on $DOCKER_HOST, printing each event with the
 * seconds since the start (phase ends, phase timings, archive calls, the upload, the branches):
 * where a build's time goes. Not a test.
 *
 *   node --conditions=@imgext/source --import ./engine-client/register-ts.mjs trace.ts IMAGE APP_DIR
 */

import { buildApp } from '@imgext/build';
import { EngineClient } from '@imgext/engine-client';

const [image, app] = process.argv.slice(2);
const client = await EngineClient.connect();
const t0 = performance.now();
const at = () => ((performance.now() - t0) / 1000).toFixed(3);
await buildApp(
  client,
  {
    image: image!,
    builder: 'imgext.local/sample/builder:latest',
    appDir: app!,
    trustBuilder: true,
  },
  {
    onEvent: (e) => {
      if (e.type === 'lifecycle') {
        const l = e.event;
        if (l.type === 'phase-log' || l.type === 'resource' || l.type === 'upload-progress') return;
        const { type, ...rest } = l as Record<string, unknown>;
        delete rest.args;
        delete rest.image;
        console.log(at(), type, JSON.stringify(rest));
      } else if (e.type === 'extender') {
        if (e.event.type === 'extension.output') return;
        console.log(at(), 'extender', e.event.type, (e.event as { task?: string }).task ?? '');
      } else console.log(at(), e.type, (e as { branch?: string }).branch ?? '');
    },
  },
);
console.log(at(), 'done');
await client.close();
