/**
 * grpc.health.v1.Health/Check: the daemon probes the session every few seconds and drops it
 * after two failures. We always answer SERVING (1) while the session is open.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { GrpcHandler } from './grpc-server.js';

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';

const SERVING = 1;

export const healthCheckHandler: GrpcHandler = async (call) => {
  for await (const _request of call.messages()) {
    // HealthCheckRequest{service}: every service of the session is served
  }
  await call.send(new BinaryWriter().tag(1, WireType.Varint).int32(SERVING).finish());
};
