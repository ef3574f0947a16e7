import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

// undici's index loads all of undici (fetch, WebSocket, caches, mocks, interceptors): ~110 ms of
// a command's start, of which the client needs a Pool and the request API. So the Pool's own
// module is loaded, and the request API put on the dispatcher prototype as undici's index does.
// undici is pinned to one exact version in package.json; undici-pool.test.ts checks this path
// still yields undici's Pool with `request`.
const require = createRequire(import.meta.url);

export const Pool = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;

const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as {
  prototype: Record<string, unknown>;
};
if (typeof Dispatcher.prototype.request !== 'function') {
  Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js'));
}
