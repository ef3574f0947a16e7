// undici's own modules that undici-pool.ts imports by path (CommonJS: the default export is
// their module.exports). Typed as little as undici-pool.ts needs; the Pool gets undici's type there.
declare module 'undici/lib/dispatcher/pool.js' {
  const Pool: unknown;
  export default Pool;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: { prototype: Record<string, unknown> };
  export default Dispatcher;
}
declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>;
  export default api;
}
