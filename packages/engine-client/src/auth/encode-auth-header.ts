/**
 * The value of an X-Registry-Auth or X-Registry-Config header: JSON in URL-safe base64 with
 * padding, the form Go's base64.URLEncoding produces. Podman refuses standard base64 and
 * unpadded input; Docker accepts this form too.
 */
export function encodeAuthHeader(value: object): string {
  const text = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return text.padEnd(Math.ceil(text.length / 4) * 4, '=');
}
