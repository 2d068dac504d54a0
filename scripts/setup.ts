// `npm install` step: fetch the pinned llama.cpp, build the addon, generate the tiny test model.
import { ensureModel } from "../src/models/ensure-model.js";
import { buildAddon } from "./build-addon.js";

await buildAddon();
const tiny = await ensureModel("tiny");
console.log(`llama-orch: ready (default model ${tiny})`);
