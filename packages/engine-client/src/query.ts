/** Query strings and path segments the way the Engine API reads them. */

export type QueryValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | string[]
  | Record<string, unknown>;

/**
 * Builds `?a=1&b=...`: booleans as 1/0, objects (filters, buildargs, labels) as JSON, arrays as
 * repeated keys (`t=a&t=b`), undefined and null left out.
 */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) params.append(key, item);
    } else if (typeof value === 'object') {
      params.append(key, JSON.stringify(value));
    } else if (typeof value === 'boolean') {
      params.append(key, value ? '1' : '0');
    } else {
      params.append(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Encodes an image reference or id for a path: `/`, `:` and `@` stay as the daemon routes them. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}
