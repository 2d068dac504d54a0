// Stream drills: a cancel storm by route (tokens after the cancel's acknowledgement) and by
// disconnect at random moments (tasks left running, records left non-terminal).
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import { fetch } from "undici";
import { TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { admit, send } from "./http.js";

export interface CancelFigures {
  cancels: number;
  acknowledged: number;
  tokensAfterAck: number;
  notCancelled: number;
}

/** Streams `n` tasks, cancels each by route at a random token, counts tokens beyond the ack. */
export async function cancelStorm(base: string, n: number): Promise<CancelFigures> {
  const figures = { cancels: n, acknowledged: 0, tokensAfterAck: 0, notCancelled: 0 };
  await Promise.all(
    Array.from({ length: n }, async (_, k) => {
      const taskId = await admit(base, { prompt: `storm ${k}`, max_tokens: 400, ignore_eos: true });
      const at = Math.floor(Math.random() * 20);
      let tokens = 0;
      let finish = "";
      let ack: Promise<number> | undefined;
      const parser = createParser({
        onEvent: (m) => {
          if (m.event === "token") tokens++;
          if (m.event === "end") finish = String(JSON.parse(m.data).finish_reason);
          if (m.event === "token" && tokens === at + 1 && !ack) {
            ack = send(base, "POST", `/v1/tasks/${taskId}/cancel`).then((r) =>
              r.status === 204 ? Number(r.headers["x-tokens-delivered"]) : -1,
            );
          }
        },
      });
      const res = await fetch(`${base}/v1/tasks/${taskId}/stream`);
      const decoder = new TextDecoder();
      for await (const chunk of res.body ?? [])
        parser.feed(decoder.decode(chunk, { stream: true }));
      const delivered = ack ? await ack : -1;
      if (delivered >= 0) {
        figures.acknowledged++;
        figures.tokensAfterAck += Math.max(0, tokens - delivered);
      }
      if (finish !== "cancelled" && delivered >= 0) figures.notCancelled++;
    }),
  );
  return figures;
}

export interface DisconnectFigures {
  disconnects: number;
  leftNonTerminal: number;
}

/** Opens `n` streams on raw sockets and drops each 0-300 ms later; counts unfinished records. */
export async function disconnectStorm(
  base: string,
  n: number,
  stateOf: (taskId: string) => Promise<TaskState>,
): Promise<DisconnectFigures> {
  const url = new URL(base);
  const ids: string[] = [];
  for (let k = 0; k < n; k++) {
    ids.push(await admit(base, { prompt: `drop ${k}`, max_tokens: 400, ignore_eos: true }));
  }
  await Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve) => {
          const socket = connect(Number(url.port), url.hostname, () => {
            socket.write(`GET /v1/tasks/${id}/stream HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
            setTimeout(() => socket.destroy(), Math.random() * 300);
          });
          socket.on("close", () => resolve());
          socket.on("error", () => undefined);
        }),
    ),
  );
  await sleep(3000);
  let left = 0;
  for (const id of ids) {
    if ((await stateOf(id)) < TaskState.TASK_STATE_FINISHED_STOP) left++;
  }
  return { disconnects: n, leftNonTerminal: left };
}
