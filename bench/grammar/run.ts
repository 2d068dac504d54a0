// Grammar-constrained generation speed on the tiny model: a forced tool call and a JSON schema,
// ms per constrained token (and how often the grammar rejected the sampled token). Prints numbers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { llamaCppDir } from "../../src/common/paths.js";
import type { Engine } from "../../src/engine/engine.js";
import type { ChatRender } from "../../src/engine/types.js";
import { loadTiny } from "../../test/support/tiny.js";

const template = readFileSync(
  join(llamaCppDir(), "models", "templates", "Qwen-Qwen2.5-7B-Instruct.jinja"),
  "utf8",
);
const weather = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: JSON.stringify({
    type: "object",
    properties: { city: { type: "string", maxLength: 12 } },
    required: ["city"],
  }),
};
const schema = {
  type: "object",
  properties: {
    answer: { type: "string", maxLength: 12 },
    score: { type: "integer", minimum: 0, maximum: 10 },
  },
  required: ["answer", "score"],
};

async function measure(engine: Engine, name: string, render: ChatRender, seeds: number[]) {
  for (const seed of seeds) {
    const started = performance.now();
    const { end } = await engine
      .submit({
        prompt: render.prompt,
        maxTokens: 96,
        sampling: { temperature: 0.8, seed },
        grammar: render.grammar,
        grammarPrefill: render.grammarPrefill,
        stop: render.stops,
      })
      .result();
    const ms = performance.now() - started;
    const resamples = (end as { grammarResamples?: number }).grammarResamples ?? "n/a";
    console.log(
      `${name} seed ${seed}: ${end.tokensOut} tokens in ${ms.toFixed(0)} ms = ` +
        `${(ms / end.tokensOut).toFixed(1)} ms/token, grammar resamples ${resamples}`,
    );
  }
}

const engine = await loadTiny({ slots: 1, chatTemplate: template });
const messages = [{ role: "user", content: "Weather in Paris?" }];
await measure(
  engine,
  "tool call",
  engine.renderChat({ messages, tools: [weather], toolChoice: "required" }),
  [1, 2, 3],
);
await measure(
  engine,
  "json schema",
  engine.renderChat({ messages, jsonSchema: JSON.stringify(schema) }),
  [4, 5, 6],
);
await engine.dispose();
