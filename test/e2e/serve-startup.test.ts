// Start-up failures a user can fix (issue 14): a busy port, a data dir held by another serve, a
// missing model file: one line on stderr naming the config key, exit code 2, no stack trace.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot } from "../../src/common/paths.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const pool = `pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 1024, threads: 1 }
`;

/** Runs `serve` on `config` until it exits; its exit code and stderr. */
async function failedServe(
  dir: string,
  config: string,
): Promise<{ code: number | null; err: string }> {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(path, config);
  const child = spawn(
    process.execPath,
    [join(repoRoot, "bin", "llama-orch.js"), "serve", "--config", path],
    {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, err };
}

function assertOneLine(result: { code: number | null; err: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.err);
  const lines = result.err.trim().split("\n");
  assert.equal(lines.length, 1, result.err);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(result.err, /\n\s+at /, "no stack trace");
}

describe("serve start-up failures", () => {
  let dir: string;
  let busy: Server;
  let port = 0;
  let first: ServeProcess;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-startup-"));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    port = (busy.address() as { port: number }).port;
  });
  after(async () => {
    busy?.close();
    await first?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("a busy gRPC port", async () => {
    const config = `server: { grpc_addr: "127.0.0.1:${port}", http_addr: "127.0.0.1:0" }\ndata_dir: "${dir}/a"\n${pool}`;
    assertOneLine(await failedServe(dir, config), /server\.grpc_addr: 127\.0\.0\.1:\d+ is in use/);
  });

  it("a busy HTTP port", async () => {
    const config = `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:${port}" }\ndata_dir: "${dir}/b"\n${pool}`;
    assertOneLine(await failedServe(dir, config), /server\.http_addr: 127\.0\.0\.1:\d+ is in use/);
  });

  it("a missing model file", async () => {
    const config = `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }\ndata_dir: "${dir}/c"
pools:
  - { id: cpu-0, model: "${dir}/nope.gguf", backend: cpu, slots: 1, threads: 1 }
`;
    assertOneLine(await failedServe(dir, config), /pools\[0\]\.model: .*nope\.gguf does not exist/);
  });

  it("a model file that is not GGUF", async () => {
    await writeFile(join(dir, "notes.gguf"), "not a model\n");
    const config = `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }\ndata_dir: "${dir}/e"
pools:
  - { id: cpu-0, model: "${dir}/notes.gguf", backend: cpu, slots: 1, threads: 1 }
`;
    assertOneLine(
      await failedServe(dir, config),
      /pools\[0\]\.model: .*notes\.gguf is not a GGUF model file \(pool cpu-0\)/,
    );
  });

  it("a data dir held by another serve", async () => {
    const config = `server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }\ndata_dir: "{data_dir}"\n${pool}`;
    first = await startServe({ config, waitReady: false });
    const second = config.replace("{data_dir}", first.dataDir);
    assertOneLine(
      await failedServe(dir, second),
      /data_dir: .* is in use by another llama-orch serve/,
    );
  });
});
