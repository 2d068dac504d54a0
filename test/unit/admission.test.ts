// Admission: a raw task becomes a defaulted ValidTask, or a typed error that says what to change.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import {
  type AdmissionContext,
  seedFromTaskId,
  validateTask,
} from "../../src/control/admission.js";
import type { TaskInput } from "../../src/control/types.js";

const TASK_ID = "00000000-0000-0000-0000-000000000001";
const SESSION_ID = "11111111-1111-1111-1111-111111111111";

function context(): AdmissionContext {
  let n = 0;
  return {
    models: new Map([
      ["m:tiny", { ctxMax: 512, retired: false }],
      ["m:old", { ctxMax: 512, retired: true }],
    ]),
    defaultModelRef: "m:tiny",
    defaultDeadlineMs: 60_000,
    maxTokensLimit: 256,
    newId: () => `aaaaaaaa-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    // One token per word: enough to exercise the prompt + max_tokens bound.
    promptTokens: (prompt) => prompt.split(/\s+/).filter(Boolean).length,
  };
}

function rejects(input: TaskInput, code: string, message: RegExp) {
  assert.throws(
    () => validateTask(input, context()),
    (e: unknown) => e instanceof OrchError && e.code === code && message.test(e.message),
  );
}

describe("validateTask defaults (DESIGN decision 6)", () => {
  test("a task with only max_tokens gets every default filled", () => {
    const task = validateTask({ maxTokens: 16, prompt: "hello world" }, context());
    assert.deepEqual(task, {
      taskId: "aaaaaaaa-0000-4000-8000-000000000001",
      sessionId: "aaaaaaaa-0000-4000-8000-000000000002",
      workload: "completion",
      modelRef: "m:tiny",
      // No engine named: a pool of any engine may serve it (issue 17).
      engine: undefined,
      ctx: 512,
      maxTokens: 16,
      priority: "interactive",
      seed: seedFromTaskId("aaaaaaaa-0000-4000-8000-000000000001"),
      determinism: "best_effort",
      prompt: "hello world",
      deadlineMs: 60_000,
      deadlineFromRequest: false,
      placement: { mode: "auto", preferPools: [], avoidPools: [], allowFallback: true },
      sampling: {},
      stop: [],
      ignoreEos: false,
      cacheSalt: "",
      promptTokens: 2,
    });
  });

  test("values the client gave are kept as given", () => {
    const task = validateTask(
      {
        taskId: TASK_ID,
        sessionId: SESSION_ID,
        workload: "completion",
        engine: "llamacpp",
        modelRef: "m:tiny",
        ctx: 128,
        priority: "batch",
        seed: 123456789,
        determinism: "strict",
        prompt: "Hello",
        maxTokens: 64,
        deadlineMs: 30_000,
        expectedTokens: 32,
        placement: { mode: "prefer", preferPools: ["gpu-0"], allowFallback: false },
        sampling: {
          temperature: 0,
          topK: 40,
          topP: 1,
          minP: 0.05,
          repeatPenalty: 1.1,
          repeatLastN: 32,
        },
        stop: ["\n"],
        grammar: 'root ::= "a"',
        ignoreEos: true,
        budgets: { tokens: 1000, timeMs: 60_000, cost: 0.5 },
      },
      context(),
    );
    assert.equal(task.taskId, TASK_ID);
    assert.equal(task.sessionId, SESSION_ID);
    assert.equal(task.ctx, 128);
    assert.equal(task.priority, "batch");
    assert.equal(task.seed, 123456789);
    assert.equal(task.determinism, "strict");
    assert.equal(task.deadlineMs, 30_000);
    assert.equal(task.deadlineFromRequest, true);
    assert.equal(task.expectedTokens, 32);
    assert.deepEqual(task.placement, {
      mode: "prefer",
      preferPools: ["gpu-0"],
      avoidPools: [],
      allowFallback: false,
    });
    assert.equal(task.sampling.topK, 40);
    assert.deepEqual(task.stop, ["\n"]);
    assert.equal(task.grammar, 'root ::= "a"');
    assert.equal(task.ignoreEos, true);
    assert.deepEqual(task.budgets, { tokens: 1000, timeMs: 60_000, cost: 0.5 });
  });

  test("the injected seed is a reproducible function of task_id (SPEC 2.1)", () => {
    const a = validateTask({ taskId: TASK_ID, maxTokens: 1 }, context());
    const b = validateTask({ taskId: TASK_ID, maxTokens: 1 }, context());
    const c = validateTask({ taskId: SESSION_ID, maxTokens: 1 }, context());
    assert.equal(a.seed, b.seed);
    assert.notEqual(a.seed, c.seed);
    assert.ok(Number.isInteger(a.seed) && a.seed >= 0 && a.seed <= 0xffffffff);
  });

  test("a bare pin_pool_id pins", () => {
    const task = validateTask({ maxTokens: 1, placement: { pinPoolId: "gpu-1" } }, context());
    assert.equal(task.placement.mode, "pin");
    assert.equal(task.placement.pinPoolId, "gpu-1");
  });

  test("prompt tokens + max_tokens exactly equal to ctx is accepted", () => {
    const task = validateTask({ prompt: "a b c d", maxTokens: 6, ctx: 10 }, context());
    assert.equal(task.promptTokens + task.maxTokens, task.ctx);
  });
});

describe("validateTask rejections", () => {
  const invalid: [string, TaskInput, RegExp][] = [
    ["max_tokens absent", {}, /max_tokens is required/],
    ["max_tokens 0 (pact)", { maxTokens: 0 }, /max_tokens must be an integer from 1 to 256/],
    ["max_tokens fractional", { maxTokens: 1.5 }, /max_tokens/],
    ["max_tokens above the limit", { maxTokens: 257 }, /from 1 to 256; got 257/],
    ["ctx 0 (pact)", { maxTokens: 1, ctx: 0 }, /ctx must be an integer from 1 to 512/],
    ["task_id not a uuid", { maxTokens: 1, taskId: "not-a-uuid" }, /task_id must be a UUID/],
    ["session_id not a uuid", { maxTokens: 1, sessionId: "s1" }, /session_id must be a UUID/],
    ["engine sglang", { maxTokens: 1, engine: "sglang" }, /engine/],
    ["workload embedding", { maxTokens: 1, workload: "embedding" }, /generation pools only/],
    ["workload rerank", { maxTokens: 1, workload: "rerank" }, /workload must be one of/],
    ["priority unknown", { maxTokens: 1, priority: "urgent" }, /priority must be one of/],
    ["determinism unknown", { maxTokens: 1, determinism: "exact" }, /determinism/],
    ["placement.mode unknown", { maxTokens: 1, placement: { mode: "spread" } }, /placement.mode/],
    ["pin without a pool", { maxTokens: 1, placement: { mode: "pin" } }, /needs .*pin_pool_id/],
    [
      "pin_pool_id with mode auto",
      { maxTokens: 1, placement: { mode: "auto", pinPoolId: "gpu-0" } },
      /only used with mode "pin"/,
    ],
    ["seed negative", { maxTokens: 1, seed: -1 }, /seed must be an integer from 0 to 4294967295/],
    ["seed above 32 bits", { maxTokens: 1, seed: 2 ** 32 }, /seed/],
    ["temperature negative", { maxTokens: 1, sampling: { temperature: -1 } }, /temperature/],
    ["top_p above 1", { maxTokens: 1, sampling: { topP: 1.5 } }, /top_p/],
    ["top_k fractional", { maxTokens: 1, sampling: { topK: 2.5 } }, /top_k/],
    ["repeat_penalty 0", { maxTokens: 1, sampling: { repeatPenalty: 0 } }, /repeat_penalty/],
    ["repeat_last_n -2", { maxTokens: 1, sampling: { repeatLastN: -2 } }, /repeat_last_n/],
    ["empty stop string", { maxTokens: 1, stop: ["\n", ""] }, /stop strings must not be empty/],
    ["empty grammar", { maxTokens: 1, grammar: "" }, /grammar/],
    ["cache_salt too long", { maxTokens: 1, cacheSalt: "s".repeat(513) }, /cache_salt is 513/],
    ["expected_tokens 0", { maxTokens: 8, expectedTokens: 0 }, /expected_tokens/],
    ["expected_tokens > max_tokens", { maxTokens: 8, expectedTokens: 9 }, /from 1 to 8/],
    ["negative token budget", { maxTokens: 1, budgets: { tokens: -1 } }, /budgets.tokens/],
    ["negative cost budget", { maxTokens: 1, budgets: { cost: -0.1 } }, /budgets.cost/],
    ["fractional deadline", { maxTokens: 1, deadlineMs: 1.5 }, /deadline_ms must be an integer/],
  ];
  for (const [name, input, message] of invalid) {
    test(`INVALID_PARAMS: ${name}`, () => rejects(input, "INVALID_PARAMS", message));
  }

  test("ctx above the model's ctx_max is CONTEXT_TOO_LARGE (data.yaml BadRequest)", () => {
    rejects(
      { maxTokens: 1, ctx: 513 },
      "CONTEXT_TOO_LARGE",
      /ctx 513 exceeds the model's ctx_max 512/,
    );
  });

  test("prompt + max_tokens over ctx is PROMPT_TOO_LONG with the numbers and what to change", () => {
    const prompt = "w ".repeat(10);
    rejects(
      { prompt, maxTokens: 16, ctx: 20 },
      "PROMPT_TOO_LONG",
      new RegExp(
        "prompt \\(10 tokens\\) \\+ max_tokens \\(16\\) = 26 exceeds ctx 20; " +
          "lower max_tokens to at most 10 or shorten the prompt, " +
          "or raise ctx \\(model limit 512\\)",
      ),
    );
  });

  test("a prompt that fills ctx alone asks only for a shorter prompt", () => {
    rejects(
      { prompt: "w ".repeat(512), maxTokens: 1 },
      "PROMPT_TOO_LONG",
      /exceeds ctx 512; shorten/,
    );
  });

  test("deadline_ms <= 0 is DEADLINE_UNMET", () => {
    rejects({ maxTokens: 1, deadlineMs: 0 }, "DEADLINE_UNMET", /deadline_ms 0/);
    rejects({ maxTokens: 1, deadlineMs: -5 }, "DEADLINE_UNMET", /positive number/);
  });

  test("a model no pool serves is MODEL_NOT_FOUND, naming the models that are", () => {
    rejects(
      { maxTokens: 1, modelRef: "m:missing" },
      "MODEL_NOT_FOUND",
      /"m:missing".*m:old, m:tiny/,
    );
  });

  test("a model whose pool is not ready yet is POOL_UNREADY, retriable (SPEC 6.2)", () => {
    const loading = { ...context(), knownModels: new Set(["m:loading"]) };
    assert.throws(
      () => validateTask({ maxTokens: 1, modelRef: "m:loading" }, loading),
      (error: unknown) =>
        error instanceof OrchError && error.code === "POOL_UNREADY" && error.retriable,
    );
  });

  test("a retired model is MODEL_DEPRECATED (DESIGN decision 10)", () => {
    rejects({ maxTokens: 1, modelRef: "m:old" }, "MODEL_DEPRECATED", /retired/);
  });
});

describe("embedding tasks (OAI-041)", () => {
  const embeddings = () => {
    const ctx = context();
    const models = new Map(ctx.models);
    models.set("m:embed", {
      ctxMax: 128,
      retired: false,
      workloads: new Set(["embedding" as const]),
      embeddingLength: 64,
    });
    return { ...ctx, models };
  };
  const embedTask = (extra: Partial<TaskInput> = {}): TaskInput => ({
    workload: "embedding",
    modelRef: "m:embed",
    embeddingInputs: ["hello", [1, 2, 3]],
    ...extra,
  });
  const refused = (input: TaskInput, message: RegExp) =>
    assert.throws(
      () => validateTask(input, embeddings()),
      (e: unknown) =>
        e instanceof OrchError && e.code === "INVALID_PARAMS" && message.test(e.message),
    );

  test("carries its inputs, needs no max_tokens, and counts an upper bound of their tokens", () => {
    const task = validateTask(embedTask(), embeddings());
    assert.equal(task.workload, "embedding");
    assert.deepEqual(task.embeddingInputs, ["hello", [1, 2, 3]]);
    assert.equal(task.maxTokens, 1);
    // Placement needs no context from the pool (the model's pools of both kinds may differ).
    assert.equal(task.ctx, 1);
    assert.equal(task.promptTokens, 5 + 2 + 3);
  });

  test("dimensions must equal the model's embedding size", () => {
    assert.equal(
      validateTask(embedTask({ embeddingDimensions: 64 }), embeddings()).workload,
      "embedding",
    );
    refused(embedTask({ embeddingDimensions: 32 }), /dimensions 32 .*\(64\).*send 64/);
  });

  test("no inputs, too many, an empty one or a bad token id are refused", () => {
    refused(embedTask({ embeddingInputs: [] }), /1 to 2048 entries; got 0/);
    refused(embedTask({ embeddingInputs: Array(2049).fill("x") }), /got 2049/);
    refused(embedTask({ embeddingInputs: ["a", ""] }), /input\[1\] is empty/);
    refused(embedTask({ embeddingInputs: [[]] }), /input\[0\] has no tokens/);
    refused(embedTask({ embeddingInputs: [[1, -2]] }), /token id -2/);
  });

  test("an embeddings-only model takes no completion, saying where embeddings go", () => {
    refused(
      { maxTokens: 4, modelRef: "m:embed", prompt: "hi" },
      /embeddings pools only.*\/v1\/embeddings/,
    );
  });
});
