import type { Connection } from '../../src/connection/index.js';

export interface TextResponse {
  statusCode: number;
  text: string;
}

/** One request through a connection's dispatcher, body read whole as text. */
export async function engineRequest(
  conn: Connection,
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD',
  path: string,
  body?: object,
  signal?: AbortSignal,
): Promise<TextResponse> {
  const res = await conn.dispatcher.request({
    origin: conn.origin,
    method,
    path,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal,
  });
  return { statusCode: res.statusCode, text: await res.body.text() };
}

/** Follows `err.cause` links and collects every `code` found. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** The daemon socket path behind DOCKER_HOST (tests run against a private unix-socket daemon). */
export function daemonSocketPath(): string {
  const host = process.env.DOCKER_HOST ?? '';
  if (!host.startsWith('unix://')) {
    throw new Error('these tests need DOCKER_HOST=unix://... (eval "$(tools/env up)")');
  }
  return host.slice('unix://'.length);
}
