// Every client subcommand of `llama-orch` run as a real process against a real `serve`: tables,
// --json, and one-line registry errors for an unreachable server, a missing or wrong token.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../../src/common/paths.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const TOKEN = "cli-test-token";
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 1024, threads: 1 }
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = promisify(execFile);
let serve: ServeProcess;
let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = { AUTH_TOKEN: TOKEN }): Promise<Run> {
  const withAddr =
    args.includes("--addr") || args[0] === "metrics" ? args : [...args, "--addr", serve.address];
  const { AUTH_TOKEN: _, ...base } = process.env;
  try {
    const out = await run(process.execPath, [join(repoRoot, "bin", "llama-orch.js"), ...withAddr], {
      env: { ...base, NO_COLOR: "1", ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const json = (r: Run) => JSON.parse(r.stdout) as Record<string, unknown> & unknown[];
const lines = (r: Run) =>
  r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);

describe("llama-orch CLI against a running serve", { timeout: 300_000 }, () => {
  before(async () => {
    serve = await startServe({ config, env: { AUTH_TOKEN: TOKEN }, token: TOKEN });
    dir = await mkdtemp(join(tmpdir(), "llama-orch-cli-"));
  });
  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("--version prints the package version", async () => {
    const r = await cli(["--version"], {});
    assert.equal(r.stdout.trim(), "0.1.0");
  });

  it("reports an unreachable server, a missing and a wrong token as one line with its code", async () => {
    // Independent runs go together: each CLI start costs seconds on a loaded machine.
    const [gone, missing, wrong, unknown] = await Promise.all([
      cli(["status", "--addr", "127.0.0.1:1"]),
      cli(["pools", "ls"], {}),
      cli(["pools", "ls"], { AUTH_TOKEN: "nope" }),
      cli(["tasks", "cancel", "no-such-task"]),
    ]);
    assert.equal(gone.code, 2);
    assert.match(
      gone.stderr,
      /^llama-orch: CONTROL_PLANE_UNREACHABLE: no control plane answered at 127\.0\.0\.1:1; .*--addr/,
    );
    assert.equal(gone.stderr.trim().split("\n").length, 1);
    assert.match(missing.stderr, /^llama-orch: MISSING_TOKEN: .*export AUTH_TOKEN/);
    assert.match(wrong.stderr, /^llama-orch: BAD_TOKEN: /);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^llama-orch: TASK_NOT_FOUND: no task no-such-task/);
  });

  it("submit, tasks ls | show | stream, sessions ls | show | rm, artifacts diff of transcripts", async () => {
    const session = "7d1f6a3e-2b4c-4d5e-8f90-123456789abc";
    const args = [
      "submit",
      "--prompt",
      "Once upon a time",
      "--model",
      "builtin:tiny",
      "--max-tokens",
      "6",
    ];
    const submitted = await cli([
      ...args,
      "--ignore-eos",
      "--seed",
      "7",
      "--session",
      session,
      "--json",
    ]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const events = lines(submitted);
    const taskId = String(events[0]?.admitted?.taskId);
    const end = events.find((e) => e.end)?.end;
    assert.equal(end?.finishReason, "FINISH_REASON_LENGTH", "enums print by name, not number");
    assert.equal(end?.tokensOut, 6);
    const text = events.flatMap((e) => (e.token ? [String(e.token.t)] : [])).join("");

    const listed = json(await cli(["tasks", "ls", "--json"])) as unknown as Record<
      string,
      unknown
    >[];
    assert.equal(listed.find((t) => t.task_id === taskId)?.state, "finished_length");
    const shown = json(await cli(["tasks", "show", taskId, "--json"]));
    assert.equal(shown.state, "TASK_STATE_FINISHED_LENGTH");
    const human = await cli(["tasks", "show", taskId]);
    assert.match(human.stdout, /state\s+finished_length/);
    const replay = await cli(["tasks", "stream", taskId]);
    assert.equal(replay.stdout, text, "stream replays the same tokens");

    const sessions = json(await cli(["sessions", "ls", "--json"])) as unknown as Record<
      string,
      unknown
    >[];
    assert.equal(sessions.find((s) => s.session_id === session)?.turns, 1);
    assert.match((await cli(["sessions", "show", session])).stdout, /1\/8/);

    const again = await cli([
      ...args,
      "--seed",
      "8",
      "--temperature",
      "1",
      "--top-k",
      "5",
      "--json",
    ]);
    const otherId = String(lines(again)[0]?.admitted?.taskId);
    const first = String(shown.transcriptArtifactId);
    const second = String(
      json(await cli(["tasks", "show", otherId, "--json"])).transcriptArtifactId,
    );
    const diff = await cli(["artifacts", "diff", first, second]);
    assert.match(diff.stdout, /^--- sha256:/);
    // Two tasks differ at least in their ids; the end events come out as a change or as context.
    assert.match(diff.stdout, /^- \[admitted\] /m, "the admitted events differ");
    assert.match(diff.stdout, /^[-+ ] \[end\] /m, "the transcripts' end events are compared");
    assert.deepEqual(
      (await cli(["sessions", "rm", session, "--json"])).stdout.includes('"deleted": true'),
      true,
    );
    assert.match(
      (await cli(["sessions", "show", session])).stderr,
      /^llama-orch: SESSION_NOT_FOUND: /,
    );
  });

  it("artifacts put | ls | get | diff of text files", async () => {
    const a = join(dir, "a.txt");
    const b = join(dir, "b.txt");
    await writeFile(a, "alpha\nbeta\ngamma\n");
    await writeFile(b, "alpha\nBETA\ngamma\n");
    const put = (file: string) =>
      cli([
        "artifacts",
        "put",
        file,
        "--kind",
        "plan",
        "--content-type",
        "text/plain",
        "--tag",
        "cli",
      ]);
    const [idA = "", idB = ""] = (await Promise.all([put(a), put(b)])).map((r) => r.stdout.trim());
    assert.match(idA, /^sha256:[0-9a-f]{64}$/);
    const listed = json(
      await cli(["artifacts", "ls", "--kind", "plan", "--json"]),
    ) as unknown as Record<string, unknown>[];
    assert.deepEqual(new Set(listed.map((x) => x.id)), new Set([idA, idB]));
    assert.equal((await cli(["artifacts", "get", idA])).stdout, "alpha\nbeta\ngamma\n");
    const diff = await cli(["artifacts", "diff", idA, idB]);
    assert.equal(diff.code, 1, "a diff with changes exits 1, like diff(1)");
    assert.match(diff.stdout, /^ {2}alpha\n- beta\n\+ BETA\n {2}gamma/m);
  });

  it("status, pools ls, capabilities, metrics tail, then pools reload and drain", async () => {
    const [status, poolsRun, capsRun, metrics] = await Promise.all([
      cli(["status"]),
      cli(["pools", "ls", "--json"]),
      cli(["capabilities", "--json"]),
      cli([
        "metrics",
        "tail",
        "--http",
        serve.http,
        "--count",
        "1",
        "--json",
        "--series",
        "tokens_out_total",
      ]),
    ]);
    assert.match(status.stdout, /^Pools\n.*\n\s+cpu-0\s+ready\s+builtin:tiny/m);
    assert.match(status.stdout, /^GPUs\n\s+no GPUs: /m);
    assert.match(status.stdout, /^Recent\n/m);
    const pools = json(poolsRun) as unknown as Record<string, unknown>[];
    assert.equal(pools[0]?.pool_id, "cpu-0");
    const caps = json(capsRun);
    assert.deepEqual((caps.engines as Record<string, unknown>[])[0]?.pools, ["cpu-0"]);
    const sample = JSON.parse(metrics.stdout) as { samples: Record<string, string> };
    assert.ok(
      Object.keys(sample.samples).some((k) => k.startsWith("tokens_out_total{")),
      metrics.stdout,
    );
    const reload = await cli(["pools", "reload", "cpu-0", "--model", "builtin:tiny"]);
    assert.match(reload.stdout, /^pool cpu-0 now serves builtin:tiny/, reload.stderr);
    assert.match(
      (await cli(["pools", "drain", "cpu-0", "--deadline-ms", "1000"])).stdout,
      /draining/,
    );
    assert.match((await cli(["pools", "ls"])).stdout, /cpu-0\s+draining/);
  });
});
