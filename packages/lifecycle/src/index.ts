export type { AppFilter, UploadProgress } from './app-archive.js';
export * from './daemon-socket.js';
export * from './errors.js';
export * from './events.js';
export * from './lifecycle-session.js';
export * from './phase.js';
export * from './phase-args.js';
export * from './rebaser-args.js';
export { extractTo, type MemoryFile, type Owner, packDirectory, packFiles } from './tar.js';
