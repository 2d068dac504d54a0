// What a GGUF file says about itself (the seed's context probe): architecture, size, quant,
// trained context, chat template, tokenizer; read from the header only.
import { findKv, type GgufHeader, readGgufHeader } from "./gguf-reader.js";
import { elementCount } from "./gguf-types.js";

export interface GgufFacts {
  architecture: string;
  parameterCount: number;
  /** `general.file_type` (llama.cpp's LLAMA_FTYPE number), "" when unset. */
  fileType: string;
  ctxMax: number;
  hasChatTemplate: boolean;
  tokenizer: string;
}

function scalar(header: GgufHeader, key: string): string {
  const value = findKv(header, key)?.value;
  return value === undefined || typeof value === "object" ? "" : String(value);
}

export function ggufFacts(header: GgufHeader): GgufFacts {
  const architecture = scalar(header, "general.architecture");
  return {
    architecture,
    parameterCount: header.tensors.reduce((n, t) => n + elementCount(t.dims), 0),
    fileType: scalar(header, "general.file_type"),
    ctxMax: Number(scalar(header, `${architecture}.context_length`)) || 0,
    hasChatTemplate: findKv(header, "tokenizer.chat_template") !== undefined,
    tokenizer: scalar(header, "tokenizer.ggml.model"),
  };
}

/** The facts as catalog metadata (`gguf.*` keys); a file that is not GGUF gives none. */
export async function ggufMetadata(path: string): Promise<Record<string, string>> {
  const facts = await readGgufHeader(path).then(ggufFacts, () => undefined);
  if (!facts) return {};
  return {
    "gguf.architecture": facts.architecture,
    "gguf.parameter_count": String(facts.parameterCount),
    "gguf.file_type": facts.fileType,
    "gguf.ctx_max": String(facts.ctxMax),
    "gguf.chat_template": String(facts.hasChatTemplate),
    "gguf.tokenizer": facts.tokenizer,
  };
}
