/** The directory name the lifecycle uses for a buildpack or extension id: `/` becomes `_`. */
export function escapeId(id: string): string {
  return id.replaceAll('/', '_');
}
