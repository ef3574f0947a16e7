/**
 * The session's moby.filesync.v1.Auth service: Credentials{Host} answers with what the client's
 * docker config (file or credential helper) has for that one registry, looked up when the daemon
 * asks and never logged. The token methods are answered Unimplemented: the daemon then fetches
 * tokens itself with the credentials, as it does for a docker CLI that lacks them.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { RegistryAuth } from '../api.js';
import type { GrpcHandler } from './grpc-server.js';
import { GrpcCode, GrpcStatus } from './grpc-status.js';

export const AUTH_CREDENTIALS = '/moby.filesync.v1.Auth/Credentials';
export const AUTH_UNIMPLEMENTED = [
  '/moby.filesync.v1.Auth/FetchToken',
  '/moby.filesync.v1.Auth/GetTokenAuthority',
  '/moby.filesync.v1.Auth/VerifyTokenAuthority',
] as const;

/** Credentials for a registry host ('registry-1.docker.io', '127.0.0.1:5000'), if any. */
export type CredentialsLookup = (host: string) => Promise<RegistryAuth | undefined>;

export function decodeCredentialsRequest(bytes: Uint8Array): { host: string } {
  const r = new BinaryReader(bytes);
  let host = '';
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) host = r.string();
    else r.skip(wire, field);
  }
  return { host };
}

/** An identity token travels as the secret with no user name, as buildkit's own provider does. */
export function encodeCredentialsResponse(auth: RegistryAuth | undefined): Uint8Array {
  const w = new BinaryWriter();
  const username = auth?.identitytoken ? '' : (auth?.username ?? '');
  const secret = auth?.identitytoken ? auth.identitytoken : (auth?.password ?? '');
  if (username) w.tag(1, WireType.LengthDelimited).string(username);
  if (secret) w.tag(2, WireType.LengthDelimited).string(secret);
  return w.finish();
}

export function credentialsHandler(
  lookup: CredentialsLookup,
  onLookupError?: (host: string, err: unknown) => void,
): GrpcHandler {
  return async (call) => {
    let host = '';
    for await (const message of call.messages()) host = decodeCredentialsRequest(message).host;
    let auth: RegistryAuth | undefined;
    try {
      auth = await lookup(host);
    } catch (err) {
      // a helper that cannot run: the pull goes on anonymously, as with the docker CLI
      onLookupError?.(host, err);
      auth = undefined;
    }
    await call.send(encodeCredentialsResponse(auth));
  };
}

export const unimplementedHandler: GrpcHandler = async (call) => {
  throw new GrpcStatus(GrpcCode.UNIMPLEMENTED, `${call.path} is not served by this client`);
};
