// Load drills: overload at 10x the queue's capacity (statuses, RSS before and after) and a budget
// race (concurrent tasks of one session against a small token budget: never overspent).
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServeProcess } from "../../test/support/serve-process.js";
import { rssMiB, send, tally, terminalOf } from "./http.js";

export async function overloadDrill(serve: ServeProcess, capacity: number) {
  const before = rssMiB(serve.child.pid);
  const n = capacity * 10;
  const body = JSON.stringify({ model_ref: "builtin:tiny", prompt: "overload", max_tokens: 20 });
  const replies = await Promise.all(
    Array.from({ length: n }, () => send(serve.http, "POST", "/v1/tasks", body)),
  );
  const ids = replies
    .filter((r) => r.status === 202)
    .map((r) => String((JSON.parse(r.text) as { task_id: string }).task_id));
  const ends = await Promise.all(
    ids.map(async (id) =>
      terminalOf((await send(serve.http, "GET", `/v1/tasks/${id}/stream`)).text),
    ),
  );
  await sleep(1000);
  const after = rssMiB(serve.child.pid);
  const outcomes: Record<string, number> = {};
  for (const e of ends) outcomes[e] = (outcomes[e] ?? 0) + 1;
  return {
    submitted: n,
    statuses: tally(replies.map((r) => r.status)),
    outcomes,
    rssMiB: { before, after },
  };
}

/** `n` concurrent tasks of `maxTokens` each in one session whose budget is `budget` tokens. */
export async function budgetRaceDrill(
  serve: ServeProcess,
  n: number,
  maxTokens: number,
  budget: number,
) {
  const session = randomUUID();
  const body = {
    model_ref: "builtin:tiny",
    prompt: "race",
    max_tokens: maxTokens,
    ignore_eos: true,
    session_id: session,
  };
  const headers = { "x-session-id": session };
  const replies = await Promise.all(
    Array.from({ length: n }, () =>
      send(serve.http, "POST", "/v1/tasks", JSON.stringify(body), headers),
    ),
  );
  const ids = replies
    .filter((r) => r.status === 202)
    .map((r) => String((JSON.parse(r.text) as { task_id: string }).task_id));
  await Promise.all(ids.map((id) => send(serve.http, "GET", `/v1/tasks/${id}/stream`)));
  const info = await send(serve.http, "GET", `/v1/sessions/${session}`);
  const remaining = Number(
    (JSON.parse(info.text) as { tokens_budget_remaining?: number }).tokens_budget_remaining,
  );
  return {
    tasks: n,
    admitted: ids.length,
    statuses: tally(replies.map((r) => r.status)),
    budget,
    spent: budget - remaining,
    overspent: remaining < 0,
  };
}
