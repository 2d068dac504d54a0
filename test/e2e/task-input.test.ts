// A task's input checked at admission over real gRPC, before anything is queued: typed errors
// for bad fields, every sampling knob refused just outside its bounds and admitted at its edges.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { rangeText, samplingKnobNames, samplingKnobs } from "../../src/common/sampling-bounds.js";
import type { TaskRequest } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, submit } from "../support/grpc-calls.js";
import { justInside, justOutside } from "../support/sampling-edges.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

describe("task input at admission", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  it("OC-CORE-1020 OC-CTRL-2010 rejects bad input with typed errors before admitting", async () => {
    const cases: [Partial<TaskRequest>, string][] = [
      [{ prompt: "x", maxTokens: 0 }, "INVALID_PARAMS"],
      [{ prompt: "x", maxTokens: 5, taskId: "not-a-uuid" }, "INVALID_PARAMS"],
      [{ prompt: "x", maxTokens: 5, engine: "vllm" }, "INVALID_PARAMS"],
      [{ prompt: "x", maxTokens: 5, ctx: 999999 }, "CONTEXT_TOO_LARGE"],
      [{ prompt: "x", maxTokens: 5, deadlineMs: -1 }, "DEADLINE_UNMET"],
      [{ prompt: "x", maxTokens: 5, modelRef: "builtin:bench" }, "MODEL_NOT_FOUND"],
      [
        {
          prompt: "x",
          maxTokens: 5,
          placement: {
            mode: "pin",
            pinPoolId: "nope",
            preferPools: [],
            avoidPools: [],
            requireDeviceMask: "",
          },
        },
        "INVALID_PARAMS",
      ],
    ];
    for (const [request, code] of cases) {
      const out = await submit(serve.orchestrator, request);
      assert.ok(out.error instanceof OrchError, `${JSON.stringify(request)} gave no error`);
      assert.equal(out.error.code, code, `${JSON.stringify(request)}: ${out.error.message}`);
    }
  });

  it("refuses every sampling knob just outside the bounds table at admission, naming it and its range", async () => {
    for (const name of samplingKnobNames) {
      const knob = samplingKnobs[name];
      for (const value of justOutside(knob)) {
        const out = await submit(serve.orchestrator, {
          prompt: "x",
          maxTokens: 1,
          sampling: { [name]: value },
        });
        const what = `${knob.wire} ${value}`;
        assert.ok(out.error instanceof OrchError, `${what} was admitted`);
        assert.equal(out.error.code, "INVALID_PARAMS", what);
        assert.ok(out.error.message.includes(`sampling.${knob.wire}`), out.error.message);
        assert.ok(out.error.message.includes(rangeText(knob)), out.error.message);
        assert.deepEqual(out.kinds, [], `${what} reached the queue`);
      }
    }
  });

  it("admits every sampling knob at both edges of its bounds, and the engine generates with them", async () => {
    for (const edge of [0, 1]) {
      const sampling = Object.fromEntries(
        samplingKnobNames.map((name) => [name, justInside(samplingKnobs[name])[edge]]),
      );
      const out = await submit(serve.orchestrator, {
        prompt: "x",
        maxTokens: 2,
        ignoreEos: true,
        sampling,
      });
      assert.equal(out.error, undefined, `${JSON.stringify(sampling)}: ${out.error?.message}`);
      assert.equal(out.kinds.at(-1), "end", JSON.stringify(out.kinds));
      assert.equal(endOf(out)?.tokensOut, 2);
    }
  });
});
