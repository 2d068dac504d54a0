// Chat prompts for the OpenAI surface: the messages rendered by the chat template of the model,
// asked of a ready worker serving it (the control plane holds no tokenizer or template).
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { fromServiceError } from "../common/grpc-errors.js";
import type { ChatTemplateRequest, ChatTemplateResponse } from "../gen/llama_orch/v1/common.js";
import type { PoolRegistry } from "./pool-registry.js";

const TEMPLATE_DEADLINE_MS = 5000;

/** As admission: a model some pool is loading is worth a retry (POOL_UNREADY), any other is unknown. */
export function notServed(registry: PoolRegistry, modelRef: string): OrchError {
  const known = registry.all().some((p) => p.modelRef === modelRef);
  return new OrchError(
    known ? "POOL_UNREADY" : "MODEL_NOT_FOUND",
    `model_ref "${modelRef}" is not served by a ready pool; list served models with GET /v1/models`,
  );
}

/** An empty model_ref takes any ready pool's model, as admission's default model would. */
export function applyChatTemplate(
  registry: PoolRegistry,
  request: ChatTemplateRequest,
): Promise<ChatTemplateResponse> {
  const serving = registry
    .all()
    .filter(
      (p) => p.ready && p.client && (request.modelRef === "" || p.modelRef === request.modelRef),
    );
  // An adapter pool whose engine renders no templates says so; a pool that can is asked first.
  const pool = serving.find((p) => p.description?.model?.hasChatTemplate) ?? serving[0];
  if (!pool?.client) return Promise.reject(notServed(registry, request.modelRef));
  const client = pool.client;
  const forwarded = { ...request, modelRef: pool.modelRef };
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + TEMPLATE_DEADLINE_MS;
    client.applyChatTemplate(
      forwarded,
      new Metadata(),
      { deadline },
      (error: ServiceError | null, reply: ChatTemplateResponse) => {
        if (error) reject(fromServiceError(error));
        else resolve(reply);
      },
    );
  });
}
