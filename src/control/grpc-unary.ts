// Adapts a promise-returning handler to a grpc-js unary handler; a throw becomes the registry status.
import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import { toStatus } from "../common/grpc-errors.js";

export function unary<Req, Res>(
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>) => {
    handler(call.request, call).then(
      (reply) => done(null, reply),
      (error: unknown) => done(toStatus(error)),
    );
  };
}
