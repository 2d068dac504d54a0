// The CUDA addon on GPU 0 (issue 16): the tiny model's layers land in VRAM, greedy decoding is
// deterministic there and agrees with the CPU within GPU/CPU rounding. Skips without a GPU.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/engine.js";
import { probeGpus } from "../../src/engine/nvml.js";
import type { SubmitRequest, TokenEvent } from "../../src/engine/types.js";
import { loadTiny, tinyModelPath } from "../support/tiny.js";
import { gpuPresence, realNvml } from "./gpu-presence.js";

const presence = await gpuPresence();

const greedy: SubmitRequest = {
  prompt: "Once upon a time",
  maxTokens: 16,
  ignoreEos: true,
  sampling: { temperature: 0, logprobs: 5 },
};

async function firstToken(engine: Engine): Promise<TokenEvent | undefined> {
  for await (const event of engine.submit({ ...greedy, maxTokens: 1 }))
    if (event.type === "token") return event;
  return undefined;
}

async function usedBytes(): Promise<number> {
  const probe = await probeGpus(realNvml);
  return probe.devices[0]?.memoryUsedBytes ?? 0;
}

describe("engine on GPU 0", { skip: presence.skip }, () => {
  let gpu: Engine;
  let cpu: Engine;
  let usedBefore: number;

  before(async () => {
    usedBefore = await usedBytes();
    gpu = await loadTiny({ gpuLayers: -1, mainGpu: 0, slots: 2 });
    cpu = await loadTiny({ gpuLayers: 0, slots: 2 });
  });
  after(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it("holds the model in VRAM: NVML's used memory grew by at least the weights", async () => {
    const weights = (await stat(await tinyModelPath())).size;
    const grown = (await usedBytes()) - usedBefore;
    assert.ok(grown >= weights, `VRAM grew by ${grown} bytes, the weights are ${weights}`);
  });

  it("decodes greedily to the same tokens twice", async () => {
    const first = await gpu.submit(greedy).result();
    const again = await gpu.submit(greedy).result();
    assert.equal(first.tokens.length, 16);
    assert.deepEqual(again.tokens, first.tokens);
  });

  it("agrees with the CPU on the first token's distribution within rounding", async () => {
    const onGpu = await firstToken(gpu);
    const onCpu = await firstToken(cpu);
    assert.ok(onGpu?.logprobs && onCpu?.logprobs, "both runs report logprobs");
    // Random weights leave near ties, so the argmax may differ: compare the CPU's choice instead.
    const sameToken = onGpu.logprobs.top.find((t) => t.id === onCpu.id);
    assert.ok(sameToken, `the CPU's token ${onCpu.id} is not in the GPU's top 5`);
    assert.ok(
      Math.abs(sameToken.logprob - onCpu.logprobs.logprob) < 0.05,
      `logprob ${sameToken.logprob} on GPU, ${onCpu.logprobs.logprob} on CPU`,
    );
  });
});
