// Builds llama.cpp's own tools (batched-bench, server, bench) from the addon's pinned source, once.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildDir, cacheDir } from "../src/common/paths.js";
import { cudaToolchain } from "./cuda-toolchain.js";
import { ensureLlamaCppSource, type LlamaCppSource } from "./llama-cpp-source.js";

export const llamaToolNames = ["llama-batched-bench", "llama-server", "llama-bench"] as const;
export type LlamaToolName = (typeof llamaToolNames)[number];

/** The same CPU build the addon embeds (see shared/reference/llama-cpp-build.md). */
const cmakeOptions = [
  "-DCMAKE_BUILD_TYPE=Release",
  "-DGGML_NATIVE=ON",
  "-DBUILD_SHARED_LIBS=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_USE_PREBUILT_UI=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
] as const;

/** What a build tree was configured from; a difference means wipe and configure again. */
interface ToolsRecord {
  commit: string;
  sourceDir: string;
  options: string[];
}

const recordName = "llama-orch-tools.json";

export function toolsBuildDir(): string {
  return join(cacheDir(), "tools-build");
}

function readRecord(dir: string): ToolsRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, recordName), "utf8")) as ToolsRecord;
  } catch {
    return undefined;
  }
}

function writeRecord(dir: string, source: LlamaCppSource): void {
  const record: ToolsRecord = {
    commit: source.commit,
    sourceDir: source.dir,
    options: [...cmakeOptions],
  };
  writeFileSync(join(dir, recordName), `${JSON.stringify(record, null, 2)}\n`);
}

function sameRecord(record: ToolsRecord, source: LlamaCppSource): boolean {
  return (
    record.commit === source.commit &&
    resolve(record.sourceDir) === resolve(source.dir) &&
    record.options.join(" ") === cmakeOptions.join(" ")
  );
}

/** The source folder a configured tree points at, read from its CMake cache. */
function configuredSource(dir: string): string | undefined {
  try {
    const cache = readFileSync(join(dir, "CMakeCache.txt"), "utf8");
    const line = /^CMAKE_HOME_DIRECTORY:INTERNAL=(.*)$/m.exec(cache);
    return line?.[1] ? resolve(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

function hasNinja(): boolean {
  try {
    execFileSync("ninja", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function configure(dir: string, source: LlamaCppSource): void {
  console.log(`llama-orch: configuring llama.cpp tools (${source.commit.slice(0, 7)}) in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const generator = hasNinja() ? ["-G", "Ninja"] : [];
  execFileSync("cmake", ["-S", source.dir, "-B", dir, ...generator, ...cmakeOptions], {
    stdio: "inherit",
  });
  // Written last: a configure that failed leaves no record, so the next call starts over.
  writeRecord(dir, source);
}

/** Configures the tools tree unless it already matches the source; see ensureLlamaTool. */
function ensureConfigured(dir: string, source: LlamaCppSource): void {
  const record = readRecord(dir);
  if (record) {
    if (!sameRecord(record, source)) configure(dir, source);
    return;
  }
  const generated = existsSync(join(dir, "build.ninja")) || existsSync(join(dir, "Makefile"));
  // A tree configured before records existed: the incremental build below recompiles whatever
  // changed in the source it points at, so adopting it saves a full rebuild.
  if (generated && configuredSource(dir) === resolve(source.dir)) writeRecord(dir, source);
  else configure(dir, source);
}

/**
 * With LLAMA_ORCH_CUDA=1: the tool from the CUDA addon's own tree (CMakeLists.txt defines the
 * tools there), linking the ggml-cuda already compiled for the addon instead of compiling it again.
 */
function ensureCudaTool(name: LlamaToolName): string {
  const dir = buildDir("cuda");
  if (!existsSync(join(dir, "CMakeCache.txt")))
    throw new Error(`no CUDA build in ${dir}: run LLAMA_ORCH_CUDA=1 npm run build:addon first`);
  execFileSync("cmake", ["--build", dir, "--target", name, "-j", String(availableParallelism())], {
    env: cudaToolchain().env,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  const path = join(dir, "bin", name);
  if (!existsSync(path)) throw new Error(`building ${name} succeeded but ${path} is missing`);
  return path;
}

/**
 * The path of a llama.cpp tool built from the same pinned source as the addon, in
 * `<cacheDir()>/tools-build`. Configures on first use (or when the source commit changed),
 * then builds incrementally: a no-op when up to date, about 8 minutes on 2 cores from nothing.
 * LLAMA_ORCH_CUDA=1 takes the tool from the CUDA addon's tree instead (ensureCudaTool).
 */
export async function ensureLlamaTool(name: LlamaToolName): Promise<string> {
  if (process.env.LLAMA_ORCH_CUDA === "1") return ensureCudaTool(name);
  const source = await ensureLlamaCppSource();
  const dir = toolsBuildDir();
  ensureConfigured(dir, source);
  execFileSync(
    "cmake",
    ["--build", dir, "--target", name, "-j", String(availableParallelism())],
    // Build progress goes to stderr so that callers that print to stdout stay parseable.
    { stdio: ["ignore", process.stderr, process.stderr] },
  );
  const path = join(dir, "bin", name);
  if (!existsSync(path)) throw new Error(`building ${name} succeeded but ${path} is missing`);
  return path;
}

function isToolName(value: string): value is LlamaToolName {
  return (llamaToolNames as readonly string[]).includes(value);
}

// CLI: `tsx scripts/llama-tools.ts [name...]` builds the named tools (all when none) and prints paths.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !isToolName(name));
  if (unknown.length > 0)
    throw new Error(`unknown tool ${unknown.join(", ")}; one of ${llamaToolNames.join(", ")}`);
  for (const name of asked.length > 0 ? asked.filter(isToolName) : llamaToolNames) {
    console.log(await ensureLlamaTool(name));
  }
}
