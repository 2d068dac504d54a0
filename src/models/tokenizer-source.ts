// The real tokenizer a generated model carries: copied, types intact, from a llama.cpp vocab file.
import { join } from "node:path";
import { llamaCppDir } from "../common/paths.js";
import { readGgufHeader } from "./gguf-reader.js";
import { type GgufKv, GgufValueType } from "./gguf-types.js";

export const CHAT_TEMPLATE_KEY = "tokenizer.chat_template";

/** Phi-3 style, but unlike the vocab file's own template it keeps system messages. */
export const CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>' + '\\n' + " +
  "message['content'] + '<|end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ " +
  "'<|assistant|>' + '\\n' }}{% endif %}";

/** Llama SentencePiece, 32064 tokens, with <|user|> / <|assistant|> / <|end|> specials. */
export function defaultVocabPath(): string {
  return join(llamaCppDir(), "models", "ggml-vocab-phi-3.gguf");
}

export interface TokenizerSource {
  /** The vocab file's general.name; llama.cpp keys some tokenizer quirks on the model name. */
  readonly name: string;
  readonly vocabSize: number;
  /** Every tokenizer.* key in file order but the chat template, then CHAT_TEMPLATE as that. */
  readonly kv: readonly GgufKv[];
}

export async function readTokenizerSource(
  vocabPath = defaultVocabPath(),
): Promise<TokenizerSource> {
  const header = await readGgufHeader(vocabPath);
  const nameKv = header.kv.find((e) => e.key === "general.name");
  const tokens = header.kv.find((e) => e.key === "tokenizer.ggml.tokens");
  if (typeof nameKv?.value !== "string" || typeof tokens?.value !== "object") {
    throw new Error(`${vocabPath} lacks general.name or tokenizer.ggml.tokens`);
  }
  const template: GgufKv = {
    key: CHAT_TEMPLATE_KEY,
    type: GgufValueType.STRING,
    value: CHAT_TEMPLATE,
  };
  const kv = header.kv
    .filter((e) => e.key.startsWith("tokenizer.") && e.key !== CHAT_TEMPLATE_KEY)
    .concat(template);
  return { name: nameKv.value, vocabSize: tokens.value.items.length, kv };
}
