/** Image references as the Engine API's query parameters want them. */

/** Splits 'name[:tag][@digest]' into the repository and its tag (a digest stays in the name). */
export function splitReference(ref: string): { name: string; tag: string | undefined } {
  if (ref.includes('@')) return { name: ref, tag: undefined };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: undefined };
}
