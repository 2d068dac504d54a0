// How routes call the control plane: one unary call as a promise of its reply or its OrchError,
// and the request's correlation id as gRPC metadata.

import { Metadata, type ServiceError } from "@grpc/grpc-js";
import type { FastifyRequest } from "fastify";
import { OWNER_KEY } from "../common/artifact-owner.js";
import { fromServiceError } from "../common/grpc-errors.js";

export type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** Runs `(cb) => client.method(request, metadata, cb)`; rejects with the call's OrchError. */
export function unaryCall<Res>(invoke: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(fromServiceError(error)) : resolve(response)));
  });
}

/** The request's X-Correlation-Id, carried to the control plane's logs. */
export function correlationMetadata(request: FastifyRequest): Metadata {
  const metadata = new Metadata();
  metadata.set("x-correlation-id", request.correlationId);
  // Whoever submits a task owns its transcript artifact.
  metadata.set(OWNER_KEY, request.identity);
  return metadata;
}
