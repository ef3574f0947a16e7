/**
 * The public surface of @imgext/engine-client, agreed before the implementation so that the
 * extender and lifecycle packages can be written against it. Shapes that mirror the Engine API's
 * JSON keep its PascalCase keys (a subset, typed by us); everything else is camelCase.
 * No type here comes from undici or any transport.
 *
 * One file per resource under ./api/; this module gathers them.
 */

export type * from './api/client.js';
export type * from './api/connection.js';
export type * from './api/containers.js';
export type * from './api/events.js';
export type * from './api/images.js';
export type * from './api/system.js';
export type * from './api/volumes.js';
