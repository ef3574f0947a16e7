/** gRPC status codes, and the value a handler throws to end its call with one. */

/** The gRPC status codes we answer with. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  RESOURCE_EXHAUSTED: 8,
} as const;

/** Thrown by a handler (or the framing): ends the call with this status. Never leaves the session. */
export class GrpcStatus extends Error {
  override name = 'GrpcStatus';
  readonly grpcCode: number;

  constructor(grpcCode: number, message: string) {
    super(message);
    this.grpcCode = grpcCode;
  }
}
