export * from './capture-output.js';
export * from './certs.js';
export * from './prng.js';
export * from './sample-app.js';
export * from './test-engines.js';
export * from './test-names.js';
export * from './tls-proxy.js';
export * from './wait.js';
