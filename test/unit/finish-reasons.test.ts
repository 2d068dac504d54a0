// Each finish-reason map is total over its source enum and lands in the values its contract allows.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { contractsDir } from "../../scripts/openapi-types.js";
import {
  anthropicStopReasons,
  engineFinishReasons,
  finishedStates,
  finishReasonNames,
  openaiFinishReasons,
  protoFinishReasons,
  sseFinishReasons,
} from "../../src/common/finish-reasons.js";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";

/** Every value of a ts-proto enum, UNRECOGNIZED included. */
function values(enumObject: Record<string, string | number>): number[] {
  return Object.values(enumObject).filter((v): v is number => typeof v === "number");
}

/** The enum a contract schema allows (components.schemas[name], or a property of one). */
function contractEnum(file: string, path: string[]): unknown[] {
  let node: unknown = parse(readFileSync(join(contractsDir, file), "utf8"));
  for (const key of ["components", "schemas", ...path])
    node = (node as Record<string, unknown>)[key];
  return (node as { enum: unknown[] }).enum;
}

function assertTotal(map: Readonly<Record<number, unknown>>, allowed: readonly unknown[]) {
  for (const reason of values(FinishReason)) {
    assert.ok(Object.hasOwn(map, reason), `${FinishReason[reason]} has no entry`);
    assert.ok(allowed.includes(map[reason]), `${FinishReason[reason]} -> ${String(map[reason])}`);
  }
  assert.equal(Object.keys(map).length, values(FinishReason).length, "no entry for a non-reason");
}

describe("finish-reason maps", () => {
  it("engine -> proto: each engine reason has its own proto value, and logs name it back", () => {
    const proto = engineFinishReasons.map((reason) => protoFinishReasons[reason]);
    assert.equal(new Set(proto).size, engineFinishReasons.length);
    for (const reason of engineFinishReasons) {
      assert.notEqual(protoFinishReasons[reason], FinishReason.FINISH_REASON_UNSPECIFIED);
      assert.equal(finishReasonNames[protoFinishReasons[reason]], reason);
    }
  });

  it("proto -> log name is total", () => {
    assertTotal(finishReasonNames, Object.values(finishReasonNames));
  });

  it("proto -> task state is total and always a finished state", () => {
    const finished = values(TaskState).filter((s) =>
      TaskState[s]?.startsWith("TASK_STATE_FINISHED"),
    );
    assertTotal(finishedStates, finished);
    assert.equal(
      finishedStates[FinishReason.FINISH_REASON_CANCELLED],
      TaskState.TASK_STATE_FINISHED_CANCELLED,
    );
  });

  it("proto -> native SSE end.finish_reason is total over data.yaml's enum", () => {
    assertTotal(
      sseFinishReasons,
      contractEnum("data.yaml", ["SSEEnd", "properties", "finish_reason"]),
    );
    assert.equal(sseFinishReasons[FinishReason.FINISH_REASON_CANCELLED], "cancelled");
  });

  it("proto -> OpenAI finish_reason is total over openai.yaml's enum", () => {
    assertTotal(openaiFinishReasons, contractEnum("openai.yaml", ["FinishReason"]));
    assert.equal(openaiFinishReasons[FinishReason.FINISH_REASON_LENGTH], "length");
  });

  it("proto -> Anthropic stop_reason is total over anthropic.yaml's enum", () => {
    assertTotal(anthropicStopReasons, contractEnum("anthropic.yaml", ["StopReason"]));
    assert.equal(anthropicStopReasons[FinishReason.FINISH_REASON_LENGTH], "max_tokens");
  });
});
