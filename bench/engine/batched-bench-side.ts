// The reference side: llama.cpp's llama-batched-bench on the same model and settings, parsed.
import { spawn } from "node:child_process";
import { CpuMeter, isClean } from "./cpu-meter.js";
import { totalContext } from "./settings.js";
import type { BenchSettings, RowSample, Throughput } from "./types.js";

/** The fields of one `--output-format jsonl` line this benchmark reads. */
interface BatchedBenchLine {
  pl: number;
  speed_pp: number;
  speed_tg: number;
}

/** The exact command line, also recorded in the results so a reader can rerun it. */
export function batchedBenchArgs(modelPath: string, settings: BenchSettings): string[] {
  return [
    ...["-m", modelPath],
    ...["-c", String(totalContext(settings))],
    ...["-b", String(settings.batchSize), "-ub", String(settings.ubatchSize)],
    ...["-npp", String(settings.promptTokens), "-ntg", String(settings.generateTokens)],
    ...["-npl", settings.parallel.join(","), "-t", String(settings.threads)],
    // For common's parser -1 means "fit to free memory"; the addon's -1 is every layer, "all" here.
    ...["-ngl", settings.gpuLayers < 0 ? "all" : String(settings.gpuLayers)],
    ...["--output-format", "jsonl"],
  ];
}

function isLine(value: unknown): value is BatchedBenchLine {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return ["pl", "speed_pp", "speed_tg"].every((k) => typeof v[k] === "number");
}

/** One JSONL line as a row; other output (blank lines, perf summary) gives undefined. */
export function parseLine(text: string): Throughput | undefined {
  if (!text.startsWith("{")) return undefined;
  const line: unknown = JSON.parse(text);
  if (!isLine(line)) throw new Error(`unexpected llama-batched-bench line: ${text}`);
  return {
    parallel: line.pl,
    prefillTokensPerSecond: line.speed_pp,
    decodeTokensPerSecond: line.speed_tg,
  };
}

/** Calls `onLine` for every whole line of a chunked stream. */
function splitLines(onLine: (text: string) => void): (chunk: string) => void {
  let partial = "";
  return (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) onLine(text);
  };
}

function checkRows(rows: readonly RowSample[], settings: BenchSettings): void {
  const missing = settings.parallel.filter((b) => !rows.some((r) => r.parallel === b));
  if (missing.length > 0) {
    throw new Error(`llama-batched-bench skipped B=${missing.join(",")} (context too small?)`);
  }
}

/**
 * Runs llama-batched-bench once over every row and resolves after it exited. It prints (and
 * flushes) one line per row as the row ends, so each row's noise is metered up to its line.
 */
export function runBatchedBench(
  toolPath: string,
  modelPath: string,
  settings: BenchSettings,
): Promise<RowSample[]> {
  const meter = new CpuMeter();
  const child = spawn(toolPath, batchedBenchArgs(modelPath, settings), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid !== undefined) meter.addChild(child.pid);
  const rows: RowSample[] = [];
  let stderr = "";
  let failure: unknown;
  const onLine = (text: string) => {
    try {
      const row = parseLine(text);
      if (!row) return;
      const noise = meter.lap();
      rows.push({ ...row, ...noise, clean: isClean(noise) });
    } catch (error) {
      failure = error;
      child.kill();
    }
  };
  child.stdout.setEncoding("utf8").on("data", splitLines(onLine));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (code !== 0) {
        reject(new Error(`llama-batched-bench exited ${code ?? signal}:\n${stderr}`));
        return;
      }
      try {
        checkRows(rows, settings);
        resolve(rows);
      } catch (error) {
        reject(error);
      }
    });
  });
}
