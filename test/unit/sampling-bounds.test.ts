// The sampling bounds table agrees with every contract that documents a knob and with the engine's header.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { contractsDir } from "../../scripts/openapi-types.js";
import { headerDrift } from "../../scripts/sampling-header.js";
import {
  type KnobRange,
  logitBiasRange,
  type NarrowerSurface,
  type SamplingKnobName,
  samplingKnobNames,
  samplingKnobs,
  surfaceRange,
} from "../../src/common/sampling-bounds.js";
import type { Sampling as ProtoSampling } from "../../src/gen/llama_orch/v1/common.js";

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

function schemas(file: string): Node {
  const doc = parse(readFileSync(join(contractsDir, file), "utf8")) as Node;
  return ((doc.components as Node).schemas as Node) ?? {};
}

/** A schema's properties, through `$ref`s and `allOf` within its file. */
function properties(all: Node, node: unknown): Node {
  if (!isNode(node)) return {};
  if (typeof node.$ref === "string") return properties(all, all[node.$ref.split("/").pop() ?? ""]);
  const own = isNode(node.properties) ? node.properties : {};
  const parts = Array.isArray(node.allOf) ? node.allOf.map((part) => properties(all, part)) : [];
  return Object.assign({}, ...parts, own);
}

function resolved(all: Node, node: unknown): Node {
  if (isNode(node) && typeof node.$ref === "string") {
    return resolved(all, all[node.$ref.split("/").pop() ?? ""]);
  }
  return isNode(node) ? node : {};
}

/** The range and type a contract property documents, in the table's terms. */
function documented(property: Node): KnobRange & { type: string } {
  const types = Array.isArray(property.type) ? property.type : [property.type];
  const type = String(types.find((t) => t !== "null"));
  const low = property.exclusiveMinimum ?? property.minimum;
  const high = property.exclusiveMaximum ?? property.maximum;
  const range: KnobRange & { type: string } = { type, min: Number(low), max: Number(high) };
  if (property.exclusiveMinimum !== undefined) range.minExclusive = true;
  if (property.exclusiveMaximum !== undefined) range.maxExclusive = true;
  return range;
}

interface Surface {
  file: string;
  schema: string;
  narrower?: NarrowerSurface;
  /** Contract property -> knob, where the surface names a knob its own way. */
  aliases?: Record<string, SamplingKnobName>;
  /** Knobs this surface must document (the others may be absent, never different). */
  required: SamplingKnobName[];
  /** Check only these (the rest comes from a schema another surface checks). */
  only?: SamplingKnobName[];
}

const surfaces: Surface[] = [
  {
    file: "data.yaml",
    schema: "Sampling",
    required: ["temperature", "topK", "topP", "minP", "repeatPenalty", "repeatLastN", "logprobs"],
  },
  {
    file: "openai.yaml",
    schema: "Sampling",
    narrower: "openai",
    required: ["temperature", "topK", "topP", "minP", "repeatPenalty", "presencePenalty"],
  },
  {
    file: "openai.yaml",
    schema: "ChatCompletionRequest",
    narrower: "openai",
    aliases: { top_logprobs: "logprobs", logprobs: "logprobs" },
    required: ["logprobs"],
    only: ["logprobs"],
  },
  {
    file: "openai.yaml",
    schema: "CompletionRequest",
    narrower: "openai-completions",
    required: ["logprobs"],
    only: ["logprobs"],
  },
  {
    file: "anthropic.yaml",
    schema: "MessagesRequest",
    narrower: "anthropic",
    required: ["temperature", "topP", "topK"],
  },
];

const byWire = new Map<string, SamplingKnobName>(
  samplingKnobNames.map((name) => [samplingKnobs[name].wire, name]),
);

function expectedRange(name: SamplingKnobName, surface: Surface) {
  const knob = samplingKnobs[name];
  const range = surfaceRange(knob, surface.narrower);
  const type = knob.type;
  const expected: KnobRange & { type: string } = { type, min: range.min, max: range.max };
  if (range.minExclusive) expected.minExclusive = true;
  if (range.maxExclusive) expected.maxExclusive = true;
  return expected;
}

describe("sampling bounds table", () => {
  for (const surface of surfaces) {
    it(`agrees with ${surface.file} ${surface.schema}`, () => {
      const all = schemas(surface.file);
      const props = properties(all, all[surface.schema]);
      const seen = new Set<SamplingKnobName>();
      for (const [property, node] of Object.entries(props)) {
        const name = surface.aliases?.[property] ?? byWire.get(property);
        const schema = resolved(all, node);
        // Chat's `logprobs` is OpenAI's on/off switch; top_logprobs carries the count.
        if (name === undefined || String(schema.type).includes("boolean")) continue;
        if (surface.only && !surface.only.includes(name)) continue;
        seen.add(name);
        assert.deepEqual(documented(schema), expectedRange(name, surface), `${property}`);
      }
      for (const name of surface.required) assert.ok(seen.has(name), `${name} is documented`);
    });
  }

  it("agrees with the OpenAI logit_bias values", () => {
    const all = schemas("openai.yaml");
    const values = resolved(all, all.LogitBias).additionalProperties as Node;
    assert.deepEqual(documented(values), { type: "number", ...logitBiasRange });
  });

  it("keeps each narrower surface range inside the engine's", () => {
    for (const name of samplingKnobNames) {
      const knob = samplingKnobs[name];
      for (const surface of ["openai", "openai-completions", "anthropic"] as const) {
        const range = surfaceRange(knob, surface);
        assert.ok(range.min >= knob.min && range.max <= knob.max, `${name} on ${surface}`);
      }
    }
  });

  it("names exactly the proto Sampling message's knobs (seed and logit_bias apart)", () => {
    type ProtoKnobs = Exclude<keyof ProtoSampling, "seed" | "logitBias">;
    const proto: Record<ProtoKnobs, true> = {
      temperature: true,
      topK: true,
      topP: true,
      minP: true,
      repeatPenalty: true,
      repeatLastN: true,
      presencePenalty: true,
      frequencyPenalty: true,
      logprobs: true,
    };
    assert.deepEqual(Object.keys(proto).sort(), [...samplingKnobNames].sort());
  });

  it("is what native/src/core/sampling-bounds.h was generated from", () => {
    assert.equal(headerDrift(), false, "run `npm run codegen:sampling` and rebuild the addon");
  });
});
