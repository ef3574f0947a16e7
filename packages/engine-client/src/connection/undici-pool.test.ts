import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Pool } from './undici-pool.js';

const require = createRequire(import.meta.url);

describe('the lean undici Pool', () => {
  it("is undici's own Pool, with the request API", () => {
    const undici = require('undici') as typeof import('undici');
    expect(Pool).toBe(undici.Pool);
    const pool = new Pool('http://localhost', { connect: { socketPath: '/nonexistent.sock' } });
    expect(typeof pool.request).toBe('function');
    expect(typeof pool.dispatch).toBe('function');
    return pool.close();
  });

  it('loads without the rest of undici', async () => {
    // A fresh process: only the Pool's and the request API's modules are loaded.
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(${JSON.stringify(import.meta.url)});
         require('undici/lib/dispatcher/pool.js'); require('undici/lib/api/index.js');
         const loaded = Object.keys(require.cache);
         console.log(JSON.stringify({
           fetch: loaded.some((f) => f.includes('/lib/web/fetch/index.js')),
           websocket: loaded.some((f) => f.includes('/lib/web/websocket/')),
         }));`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ fetch: false, websocket: false });
  });
});
