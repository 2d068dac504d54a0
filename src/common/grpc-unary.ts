// The one unary adapter of every gRPC server here (control plane, worker, engine adapters): a
// handler's result is the response, anything it throws or rejects with becomes the registry status.
import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { toStatus } from "./grpc-errors.js";

export function unary<Req, Res>(
  handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, done) => {
    // Through a promise, so a handler that throws synchronously answers with its status too.
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (reply) => done(null, reply),
        (error: unknown) => done(toStatus(error)),
      );
  };
}
