import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { encodeStatusResponse, unknownFields } from '../../test/buildkit-status.js';
import { StreamError } from '../errors.js';
import { decodeStatusResponse } from './status-response.js';

const T0 = Date.UTC(2026, 11, 3, 6, 0, 0, 125);

const FULL = {
  vertexes: [
    {
      digest: 'sha256:aaa',
      inputs: ['sha256:in1', 'sha256:in2'],
      name: '[2/3] RUN make',
      cached: true,
      started: T0,
      completed: T0 + 1234,
      error: 'process "/bin/sh -c make" did not complete successfully: exit code: 2',
      progressGroup: { id: 'g1', name: 'group', weak: true },
    },
  ],
  statuses: [
    {
      id: 'extracting sha256:1234',
      vertex: 'sha256:aaa',
      name: 'extracting',
      current: 5_000_000_000,
      total: 6_000_000_000,
      timestamp: T0 + 1,
      started: T0 + 2,
      completed: T0 + 3,
    },
  ],
  logs: [{ vertex: 'sha256:aaa', timestamp: T0 + 4, stream: 2, msg: 'make: *** [all] Error 2\n' }],
  warnings: [
    {
      vertex: 'sha256:aaa',
      level: 1,
      short: 'FromAsCasing: casing mismatch é',
      detail: ['one', 'two'],
      url: 'https://docs.docker.com/go/dockerfile/rule/from-as-casing/',
      info: { filename: 'Dockerfile', language: 'Dockerfile', data: new Uint8Array([70, 82]) },
      ranges: [{ start: [3, 0] as [number, number], end: [3, 12] as [number, number] }],
    },
  ],
};

describe('decodeStatusResponse', () => {
  it('decodes every field of control.proto it knows, times as epoch ms', () => {
    const decoded = decodeStatusResponse(encodeStatusResponse(FULL));
    expect(decoded).toEqual({
      vertexes: [FULL.vertexes[0]],
      statuses: [FULL.statuses[0]],
      logs: [
        {
          vertex: 'sha256:aaa',
          timestamp: T0 + 4,
          stream: 2,
          msg: new TextEncoder().encode('make: *** [all] Error 2\n'),
        },
      ],
      warnings: [
        {
          vertex: 'sha256:aaa',
          level: 1,
          short: 'FromAsCasing: casing mismatch é',
          detail: ['one', 'two'],
          url: 'https://docs.docker.com/go/dockerfile/rule/from-as-casing/',
          info: { filename: 'Dockerfile', language: 'Dockerfile', data: new Uint8Array([70, 82]) },
          ranges: [{ start: { line: 3, character: 0 }, end: { line: 3, character: 12 } }],
        },
      ],
    });
  });

  it('leaves absent fields at their defaults (times and error absent)', () => {
    const decoded = decodeStatusResponse(
      encodeStatusResponse({ vertexes: [{ digest: 'sha256:b', name: '[1/2] FROM x' }] }),
    );
    expect(decoded.vertexes).toEqual([
      { digest: 'sha256:b', inputs: [], name: '[1/2] FROM x', cached: false },
    ]);
    expect(decodeStatusResponse(new Uint8Array(0))).toEqual({
      vertexes: [],
      statuses: [],
      logs: [],
      warnings: [],
    });
  });

  it('skips unknown fields of every wire type, at the top and inside a vertex', () => {
    const vertex = new BinaryWriter();
    vertex.raw(unknownFields());
    vertex.tag(3, WireType.LengthDelimited).string('[1/1] RUN true');
    vertex.tag(1, WireType.LengthDelimited).string('sha256:c');
    vertex.tag(3, WireType.Varint).int32(7); // a known field with a wire type it does not have
    const top = new BinaryWriter();
    top.raw(unknownFields());
    top.tag(1, WireType.LengthDelimited).bytes(vertex.finish());
    top.raw(unknownFields());
    const decoded = decodeStatusResponse(top.finish());
    expect(decoded.vertexes).toEqual([
      { digest: 'sha256:c', inputs: [], name: '[1/1] RUN true', cached: false },
    ]);
  });

  it('every truncation of a valid message decodes or throws a StreamError; cut fields throw', () => {
    const bytes = encodeStatusResponse(FULL);
    let thrown = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      try {
        decodeStatusResponse(bytes.subarray(0, cut));
      } catch (err) {
        expect(err, `cut at ${cut}`).toBeInstanceOf(StreamError);
        expect((err as StreamError).code).toBe('ENGINE_STREAM');
        expect((err as Error).message).toContain('moby.buildkit.v1.StatusResponse');
        thrown++;
      }
    }
    // the top level has four fields: only the cuts between them decode
    expect(thrown).toBe(bytes.length - 4);
  });

  it('a length that runs past the end, or an illegal tag, is a StreamError, not a RangeError', () => {
    const cases = [
      new Uint8Array([0x0a, 0x05, 0x0a, 0x01]), // vertexes: 5 bytes announced, 2 present
      new Uint8Array([0x0a, 0x02, 0x0a, 0x09]), // a digest of 9 bytes inside a vertex of 2
      new Uint8Array([0x00]), // field number 0
      new Uint8Array([0x0f]), // wire type 7
      new Uint8Array([0x08, 0xff, 0xff]), // a varint cut short
      new Uint8Array([0x0c]), // an end-group tag with no group
      new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ];
    for (const bytes of cases) {
      expect(() => decodeStatusResponse(bytes), Buffer.from(bytes).toString('hex')).toThrow(
        StreamError,
      );
    }
  });
});
