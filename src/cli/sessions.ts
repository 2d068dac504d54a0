// `llama-orch sessions ls | show | rm`: sessions with their turns, budgets left and KV warmth.
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import { type SessionBody, toSessionBody } from "../gateway/translate-tasks.js";
import type { DeleteSessionResponse, SessionInfo } from "../gen/llama_orch/v1/orchestrator.js";
import {
  type ClientOptions,
  callOptions,
  clientCommand,
  rpc,
  withControl,
} from "./control-client.js";
import { ms, printJson, table } from "./output.js";
import { fetchStatus } from "./status.js";

function sessionRows(sessions: SessionBody[]): string[][] {
  const left = (v: number | undefined, unit = "") =>
    v === undefined ? "unlimited" : `${v}${unit}`;
  return sessions.map((s) => [
    s.session_id ?? "",
    `${s.turns}/${s.max_turns ?? "-"}`,
    left(s.tokens_budget_remaining),
    left(s.time_budget_remaining_ms, "ms"),
    left(s.cost_budget_remaining),
    ms(s.ttl_ms_remaining),
    s.kv_warmth ? `warm on ${s.pool_id}` : "cold",
  ]);
}

const HEADERS = ["SESSION", "TURNS", "TOKENS LEFT", "TIME LEFT", "COST LEFT", "EXPIRES IN", "KV"];

export function registerSessions(program: Command): void {
  const sessions = program.command("sessions").description("list, inspect and delete sessions");
  clientCommand(sessions.command("ls"))
    .description("live sessions, most recently used first")
    .action((options: ClientOptions) =>
      withControl(options, async (control) => {
        const { sessions: list } = await fetchStatus(control);
        if (options.json) printJson(list);
        else process.stdout.write(table("Sessions", HEADERS, sessionRows(list), "no sessions"));
      }),
    );
  clientCommand(sessions.command("show <session-id>"))
    .description("a session's turns, budgets left, TTL and KV warmth")
    .action((sessionId: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const info = await rpc<SessionInfo>(control.addr, (cb) =>
          control.orchestrator.getSession({ sessionId }, new Metadata(), callOptions(), cb),
        );
        const body = toSessionBody(info);
        if (options.json) printJson(body);
        else process.stdout.write(table("Session", HEADERS, sessionRows([body]), ""));
      }),
    );
  clientCommand(sessions.command("rm <session-id>"))
    .description("delete a session (its budgets and KV warmth)")
    .action((sessionId: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const { deleted } = await rpc<DeleteSessionResponse>(control.addr, (cb) =>
          control.orchestrator.deleteSession({ sessionId }, new Metadata(), callOptions(), cb),
        );
        if (options.json) printJson({ session_id: sessionId, deleted });
        else
          process.stdout.write(`session ${sessionId} ${deleted ? "deleted" : "was not there"}\n`);
      }),
    );
}
