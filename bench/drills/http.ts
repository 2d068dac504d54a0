// What every drill uses: one HTTP call that never throws, SSE reading with a drop moment, RSS.
import { readFileSync } from "node:fs";
import { request } from "undici";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request; a transport failure is status 0 (the drills count those too). */
export async function send(
  base: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  try {
    const res = await request(`${base}${path}`, {
      method: method as "GET",
      body,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } catch (error) {
    return { status: 0, headers: {}, text: String(error) };
  }
}

export async function admit(base: string, body: Record<string, unknown>): Promise<string> {
  const task = { model_ref: "builtin:tiny", ...body };
  const reply = await send(base, "POST", "/v1/tasks", JSON.stringify(task));
  if (reply.status !== 202) throw new Error(`admit: ${reply.status} ${reply.text}`);
  return String((JSON.parse(reply.text) as { task_id: string }).task_id);
}

/** Counts of statuses, as "2xx: n" style keys. */
export function tally(statuses: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of statuses) {
    const key = s === 0 ? "transport" : `${String(s).slice(0, 1)}xx`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Resident set size of a process, in MiB (Linux). */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** The terminal SSE event name of a stream body ("end", "error" or "none"). */
export function terminalOf(text: string): string {
  const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
  const last = names.at(-1);
  return last === "end" || last === "error" ? last : "none";
}
