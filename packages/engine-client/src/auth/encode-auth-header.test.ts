import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../connection/resolve-connection.js';
import { resolveEndpoint } from '../connection/resolve-endpoint.js';
import { encodeAuthHeader } from './encode-auth-header.js';

// Chosen so that standard base64 of its JSON holds '+' and '/' and needs padding.
const awkward = { username: '?>?>~~', password: 'ÿþ??>>', serveraddress: '127.0.0.1:5000' };

describe('encodeAuthHeader', () => {
  it('is URL-safe base64 with padding of the JSON', () => {
    const json = JSON.stringify(awkward);
    const standard = Buffer.from(json).toString('base64');
    expect(standard).toMatch(/[+/]/);
    const header = encodeAuthHeader(awkward);
    expect(header).toMatch(/^[A-Za-z0-9_-]+=*$/);
    expect(header.length % 4).toBe(0);
    expect(header).toBe(standard.replaceAll('+', '-').replaceAll('/', '_'));
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual(awkward);
  });

  const engines = (process.env.IMGEXT_TEST_ENGINES ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=') as [string, string]);
  const connections: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
  });

  // Podman answers 400 "failed to parse X-Registry-Auth" to standard or unpadded base64.
  it.each(engines)('is accepted by the real %s engine', async (_name, host) => {
    const conn = connect(resolveEndpoint({ host, env: {} }));
    connections.push(conn);
    const res = await conn.dispatcher.request({
      origin: conn.origin,
      method: 'POST',
      path: '/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fimgext-test%2Fno-such-image&tag=none',
      headers: { 'x-registry-auth': encodeAuthHeader(awkward) },
    });
    const text = await res.body.text();
    expect(text).not.toMatch(/X-Registry-Auth/i);
    expect(res.statusCode).not.toBe(400);
  });
});
