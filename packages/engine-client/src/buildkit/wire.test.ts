import { between, prng, randomBytes, randomChunks } from '@imgext/test-support';
import { describe, expect, it } from 'vitest';
import { decodeCredentialsRequest, encodeCredentialsResponse } from './auth-service.js';
import { decodePacket, emptyStat, encodePacket, PacketType } from './fsutil-packet.js';
import { GrpcFrameReader, grpcFrame } from './grpc-frames.js';
import { encodeGrpcMessage } from './grpc-server.js';
import { GrpcStatus } from './grpc-status.js';

describe('gRPC framing', () => {
  it('reassembles messages whatever the chunking', () => {
    const random = prng(3);
    for (let round = 0; round < 50; round++) {
      const messages = Array.from({ length: between(random, 1, 6) }, () =>
        randomBytes(random, between(random, 0, 3000)),
      );
      const wire = Buffer.concat(messages.map(grpcFrame));
      const reader = new GrpcFrameReader();
      const got: Uint8Array[] = [];
      for (const chunk of randomChunks(random, wire, 700)) got.push(...reader.push(chunk));
      expect(got.map((m) => Buffer.from(m).toString('hex'))).toEqual(
        messages.map((m) => m.toString('hex')),
      );
      expect(reader.pending).toBe(0);
    }
  });

  it('refuses compressed and oversized messages', () => {
    expect(() => new GrpcFrameReader().push(Buffer.from([1, 0, 0, 0, 0]))).toThrow(GrpcStatus);
    expect(() => new GrpcFrameReader(10).push(Buffer.from([0, 0, 0, 0, 11]))).toThrow(/limit/);
  });

  it('percent-encodes grpc-message', () => {
    expect(encodeGrpcMessage('open /a b: 100% é\n')).toBe('open /a b: 100%25 %C3%A9%0A');
  });
});

describe('fsutil packets', () => {
  it('round-trips a STAT with every field, big numbers included', () => {
    const stat = {
      ...emptyStat(),
      path: 'dir/file é',
      mode: 2 ** 31 + 0o755,
      uid: 1234,
      gid: 4_000_000_000,
      size: 5n * 1024n ** 3n,
      modTime: 1_796_280_410_027_123_456n,
      linkname: 'target',
      devmajor: 8n,
      devminor: 1n,
      xattrs: new Map([['user.k', new Uint8Array([0, 1, 255])]]),
    };
    const packet = decodePacket(encodePacket({ type: PacketType.STAT, stat }));
    expect(packet.type).toBe(PacketType.STAT);
    expect(packet.stat).toEqual(stat);
  });

  it('an empty STAT has no stat at all (it ends the listing), an empty DATA no data', () => {
    expect(encodePacket({ type: PacketType.STAT })).toEqual(new Uint8Array(0));
    expect(decodePacket(encodePacket({ type: PacketType.STAT })).stat).toBeUndefined();
    const data = decodePacket(encodePacket({ type: PacketType.DATA, id: 7 }));
    expect(data).toMatchObject({ type: PacketType.DATA, id: 7 });
    expect(data.data.length).toBe(0);
    expect(decodePacket(encodePacket({ type: PacketType.REQ, id: 0 }))).toMatchObject({
      type: PacketType.REQ,
      id: 0,
    });
  });
});

describe('Auth messages', () => {
  it('reads the host; answers user and password, or an identity token as the secret alone', () => {
    const req = Buffer.from([0x0a, 5, ...Buffer.from('r.io:')]);
    expect(decodeCredentialsRequest(req)).toEqual({ host: 'r.io:' });
    expect(Buffer.from(encodeCredentialsResponse({ username: 'u', password: 'p' }))).toEqual(
      Buffer.from([0x0a, 1, 0x75, 0x12, 1, 0x70]),
    );
    expect(Buffer.from(encodeCredentialsResponse({ username: 'u', identitytoken: 'tok' }))).toEqual(
      Buffer.from([0x12, 3, ...Buffer.from('tok')]),
    );
    expect(encodeCredentialsResponse(undefined).length).toBe(0);
  });
});
