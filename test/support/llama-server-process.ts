// A real llama-server (built from the pinned llama.cpp by scripts/llama-tools.ts) on the tiny
// model, on a loopback port that survives a restart, for the llamacpp-server and vLLM adapters.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureLlamaTool } from "../../scripts/llama-tools.js";
import { tinyModelPath } from "./tiny.js";

const HOST = "127.0.0.1";

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port from listen(0)");
  return address.port;
}

export class LlamaServerProcess {
  url = "";
  private child: ChildProcess | undefined;
  private port = 0;
  private log = "";

  /** Starts it (again on the same port after stop) and waits until /health answers 200. */
  async start(): Promise<this> {
    const tool = await ensureLlamaTool("llama-server");
    this.port ||= await freePort();
    this.url = `http://${HOST}:${this.port}`;
    const args = ["-m", await tinyModelPath(), "--host", HOST, "--port", String(this.port)];
    args.push("-np", "2", "-c", "2048", "-t", "2", "--metrics", "--alias", "tiny", "--no-webui");
    // LLAMA_ARG_* variables are flags to llama-server: keep the developer's shell out of it.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith("LLAMA_ARG_")),
    );
    const child = spawn(tool, args, { stdio: ["ignore", "pipe", "pipe"], env });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const deadline = Date.now() + 120_000;
    while (!(await this.healthy())) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`llama-server did not become healthy:\n${this.log}`);
      }
      await sleep(100);
    }
    return this;
  }

  /** SIGKILL: the engine dies as a crash would kill it, connections reset. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  private async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/health`)).status === 200;
    } catch {
      return false;
    }
  }
}
