export * from './build-app.js';
export * from './build-error.js';
export * from './build-events.js';
export * from './build-summary.js';
export * from './builder-image.js';
export * from './cache-volumes.js';
export * from './platform-env.js';
export * from './registry-auth-env.js';
