/// <reference path="./undici-deep.d.ts" />
import type { Pool as UndiciPool } from 'undici';
import requestApi from 'undici/lib/api/index.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import LeanPool from 'undici/lib/dispatcher/pool.js';

// undici's index loads all of undici (fetch, WebSocket, caches, mocks, interceptors): ~110 ms of
// a command's start, of which the client needs a Pool and the request API. So the Pool's own
// module is loaded, and the request API put on the dispatcher prototype as undici's index does.
// undici is pinned to one exact version in package.json; undici-pool.test.ts checks this path
// still yields undici's Pool with `request`. Static imports (undici's CommonJS modules, their
// module.exports as the default) so that the CLI's bundle (apps/cli/scripts/bundle.mjs) takes
// them in; undici-deep.d.ts types them.
export const Pool = LeanPool as typeof UndiciPool;

if (typeof Dispatcher.prototype.request !== 'function') {
  Object.assign(Dispatcher.prototype, requestApi);
}
