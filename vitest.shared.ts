/** Export conditions under which workspace packages resolve to each other's TypeScript sources. */
export const sourceConditions = ['@imgext/source', 'module', 'node', 'import', 'default'];
