// Generates the TypeScript gRPC stubs in src/gen from proto/ with ts-proto; `--check` fails on drift.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../src/common/paths.js";

const protoDir = join(repoRoot, "proto");
const genDir = join(repoRoot, "src", "gen");
// ts-proto writes under the proto package path; src/gen/openapi belongs to scripts/openapi-types.ts.
const protoGenDir = join(genDir, "llama_orch");
const tsProtoOptions = [
  "outputServices=grpc-js",
  "env=node",
  "esModuleInterop=true",
  "useOptionals=messages",
  "oneof=unions-value",
  "forceLong=number",
  "importSuffix=.js",
].join(",");

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".proto") || f.endsWith(".ts"))
    .sort();
}

/** Runs protoc (from the npm `protoc` package) with the ts-proto plugin into `outDir`. */
export function generate(outDir: string): void {
  const protos = files(protoDir).map((f) => join(protoDir, f));
  const plugin = join(repoRoot, "node_modules", ".bin", "protoc-gen-ts_proto");
  execFileSync(
    join(repoRoot, "node_modules", ".bin", "protoc"),
    [
      `--plugin=protoc-gen-ts_proto=${plugin}`,
      `--ts_proto_out=${outDir}`,
      `--ts_proto_opt=${tsProtoOptions}`,
      `--proto_path=${protoDir}`,
      ...protos,
    ],
    { stdio: "inherit" },
  );
}

/** Regenerates into a temp dir and lists every file that differs from src/gen/llama_orch. */
export function drift(): string[] {
  const temp = mkdtempSync(join(tmpdir(), "llama-orch-gen-"));
  try {
    generate(temp);
    const fresh = files(join(temp, "llama_orch"));
    const committed = files(protoGenDir);
    const all = [...new Set([...fresh, ...committed])].sort();
    return all.filter((f) => {
      if (!fresh.includes(f) || !committed.includes(f)) return true;
      const ours = readFileSync(join(protoGenDir, f), "utf8");
      return readFileSync(join(temp, "llama_orch", f), "utf8") !== ours;
    });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--check")) {
    const changed = drift();
    if (changed.length > 0) {
      console.error(
        `src/gen/llama_orch is stale; run \`npm run codegen\`. Differs: ${changed.join(", ")}`,
      );
      process.exit(1);
    }
  } else {
    rmSync(protoGenDir, { recursive: true, force: true });
    execFileSync("mkdir", ["-p", genDir]);
    generate(genDir);
    console.log(
      `generated ${files(protoGenDir).length} files in ${relative(repoRoot, protoGenDir)}`,
    );
  }
}
