// Calls to a worker in tests: promisified unary RPCs and a Generate stream read to its end.
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { End, Token } from "../../src/gen/llama_orch/v1/common.js";
import type {
  GenerateEvent,
  GenerateRequest,
  WorkerClient,
  WorkerDescription,
} from "../../src/gen/llama_orch/v1/worker.js";

export function rpc<T>(call: (callback: (error: ServiceError | null, value: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    call((error, value) => (error ? reject(error) : resolve(value))),
  );
}

export interface Outcome {
  tokens: Token[];
  end?: End;
  error?: ServiceError;
  /** Tokens that arrived after `mark()` was called. */
  tokensAfterMark: number;
}

/** Reads a Generate stream to its end; `onToken` may act mid-stream and `mark` a moment. */
export function collect(
  stream: ClientReadableStream<GenerateEvent>,
  onToken?: (count: number, mark: () => void) => void,
): Promise<Outcome> {
  const outcome: Outcome = { tokens: [], tokensAfterMark: 0 };
  let marked = false;
  const mark = () => {
    marked = true;
  };
  stream.on("data", (message: GenerateEvent) => {
    const event = message.event;
    if (event?.$case === "token") {
      outcome.tokens.push(event.value);
      if (marked) outcome.tokensAfterMark++;
      onToken?.(outcome.tokens.length, mark);
    } else if (event?.$case === "end") {
      outcome.end = event.value;
    }
  });
  return new Promise((resolve) => {
    stream.on("error", (error: ServiceError) => resolve({ ...outcome, error }));
    stream.on("end", () => resolve(outcome));
  });
}

export function generate(client: WorkerClient, request: Partial<GenerateRequest>) {
  return client.generate({
    taskId: "",
    prompt: "The river runs past the stone lantern",
    maxTokens: 8,
    stop: [],
    grammar: "",
    strict: false,
    sessionKey: "",
    ignoreEos: true,
    cacheTenant: "",
    jsonSchema: "",
    embeddingInputs: [],
    promptTokens: [],
    ...request,
  });
}

export function describeWorker(client: WorkerClient): Promise<WorkerDescription> {
  return rpc((cb) => client.describe({}, cb));
}
