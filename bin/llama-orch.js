#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so no build step stands between edit and run.
import { register } from "tsx/esm/api";

register();
// NVML numbers GPUs in PCI bus order; CUDA must agree for a pool's `devices` to mean the same cards.
// Set before the addon loads: llama.cpp's CUDA backend enumerates the devices when it registers.
process.env.CUDA_DEVICE_ORDER ??= "PCI_BUS_ID";
await import("../src/cli/main.ts");
