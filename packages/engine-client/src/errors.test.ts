import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  errorForStatus,
  NotFoundError,
  ServerError,
  StreamError,
  transportError,
  UnauthorizedError,
} from './errors.js';

const ctx = { method: 'GET', path: '/info', host: 'unix:///run/docker.sock' };

describe('errorForStatus', () => {
  it.each([
    [400, BadRequestError, 'ENGINE_BAD_REQUEST'],
    [401, UnauthorizedError, 'ENGINE_UNAUTHORIZED'],
    [403, UnauthorizedError, 'ENGINE_UNAUTHORIZED'],
    [404, NotFoundError, 'ENGINE_NOT_FOUND'],
    [409, ConflictError, 'ENGINE_CONFLICT'],
    [500, ServerError, 'ENGINE_SERVER_ERROR'],
    [418, ServerError, 'ENGINE_SERVER_ERROR'],
  ])('%i is %o', (status, type, code) => {
    const err = errorForStatus(status, 'msg', { method: 'GET', path: '/x' });
    expect(err).toBeInstanceOf(type);
    expect(err).toMatchObject({ code, statusCode: status, method: 'GET', path: '/x' });
    expect(err.name).toBe(type.name);
  });
});

describe('transportError', () => {
  it.each([
    ['ENOENT', /socket does not exist/],
    ['EACCES', /permission denied/],
    ['ECONNREFUSED', /refused/],
  ])('%s (even nested as a cause) is a ConnectionError with a hint', (code, hint) => {
    const cause = Object.assign(new Error(`connect ${code}`), { code });
    const err = transportError(new Error('fetch failed', { cause }), ctx);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ syscallCode: code, hint: expect.stringMatching(hint) });
    expect(err.message).toContain(ctx.host);
    expect(err.message).not.toContain((err as ConnectionError).hint);
  });

  it('an abort, by error or by signal, is an AbortedError', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(transportError(abort, ctx)).toBeInstanceOf(AbortedError);
    expect(transportError(new Error('x'), { ...ctx, signal: AbortSignal.abort() })).toBeInstanceOf(
      AbortedError,
    );
  });

  it('a broken socket mid-response is a StreamError', () => {
    const err = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(transportError(err, ctx)).toBeInstanceOf(StreamError);
  });
});
