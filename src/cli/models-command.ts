// `llama-orch models ls|pull|import|rm`: the model catalog of a running control plane, over gRPC.
import { credentials, type ServiceError } from "@grpc/grpc-js";
import type { Command } from "commander";
import { sendBearer } from "../common/grpc-auth.js";
import { fromServiceError } from "../common/grpc-errors.js";
import { CatalogClient, type CatalogEntry, ModelState } from "../gen/llama_orch/v1/catalog.js";
import { type ImportOptions, importModels } from "./models-import.js";
import { pullModel } from "./models-pull.js";
import { hostPort } from "./parse.js";

interface AddrOptions {
  addr: string;
}

function connect(addr: string): CatalogClient {
  return new CatalogClient(addr, credentials.createInsecure(), {
    interceptors: sendBearer(process.env.AUTH_TOKEN),
  });
}

/** Runs one unary call; a failure prints its registry code and sets exit code 2. */
async function withClient(
  addr: string,
  work: (client: CatalogClient) => Promise<void>,
): Promise<void> {
  const client = connect(addr);
  try {
    await work(client);
  } catch (error) {
    const orch = fromServiceError(error as ServiceError);
    process.stderr.write(`llama-orch: ${orch.code}: ${orch.message}\n`);
    process.exitCode = 2;
  } finally {
    client.close();
  }
}

function row(entry: CatalogEntry): string {
  const names = [entry.id, ...entry.aliases].join(",");
  const size = `${(entry.sizeBytes / (1024 * 1024)).toFixed(1)}MiB`;
  return [
    names,
    entry.digest.slice(0, 19),
    size,
    entry.state === ModelState.MODEL_STATE_RETIRED ? "retired" : "active",
    entry.localPath,
  ].join("\t");
}

function list(client: CatalogClient, json: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    client.listModels({}, (error, reply) => {
      if (error) return reject(error);
      for (const entry of reply.models) {
        process.stdout.write(json ? `${JSON.stringify(entry)}\n` : `${row(entry)}\n`);
      }
      resolve();
    });
  });
}

function remove(client: CatalogClient, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.deleteModel({ id }, (error) => (error ? reject(error) : resolve()));
  });
}

export function registerModels(program: Command): void {
  const models = program.command("models").description("list, pull and remove catalog models");
  const addr = [
    "--addr <host:port>",
    "control plane gRPC address",
    hostPort,
    "127.0.0.1:50051",
  ] as const;
  models
    .command("pull <ref>")
    .description(
      "pull hf:org/repo:QUANT, hf:org/repo/file.gguf[@rev], ollama:name[:tag], https://..., or a local path",
    )
    .option(...addr)
    .option("--alias <name>", "another catalog name for the model")
    .option("--json", "print every event as a JSON line", false)
    .action((ref: string, o: AddrOptions & { alias?: string; json: boolean }) =>
      withClient(o.addr, (client) => pullModel(client, ref, o)),
    );
  models
    .command("import")
    .description(
      "register the models already in the Hugging Face cache and Ollama's store, in place (both unless one is named)",
    )
    .option(...addr)
    .option("--hf-cache [dir]", "the Hugging Face hub cache (default: the server's)")
    .option("--ollama [dir]", "Ollama's models folder (default: the server's)")
    .option("--json", "one JSON object per entry", false)
    .action((o: AddrOptions & ImportOptions) =>
      withClient(o.addr, (client) => importModels(client, o)),
    );
  models
    .command("ls")
    .description("list catalog models: names, digest, size, state, file")
    .option(...addr)
    .option("--json", "one JSON object per entry", false)
    .action((o: AddrOptions & { json: boolean }) =>
      withClient(o.addr, (client) => list(client, o.json)),
    );
  models
    .command("rm <id>")
    .description("remove a catalog entry (the file stays)")
    .option(...addr)
    .action((id: string, o: AddrOptions) => withClient(o.addr, (client) => remove(client, id)));
}
