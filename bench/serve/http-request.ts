// One HTTP request on its own fresh connection, closed after: JSON in, JSON or SSE events out.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Client } from "undici";

/**
 * llama-server (this build) advertises keep-alive after a streamed response, then closes the
 * connection, so a pooled client sees requests fail on a dead socket. Every request here gets a
 * connection of its own, on both servers alike, so connection setup costs both the same.
 */
async function withConnection<T>(origin: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(origin, { pipelining: 1 });
  try {
    return await use(client);
  } finally {
    await client.destroy();
  }
}

export interface JsonCall {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

function requestOptions(call: JsonCall) {
  const headers: Record<string, string> = { ...call.headers };
  if (call.body !== undefined) headers["content-type"] = "application/json";
  return {
    method: call.method,
    path: call.path,
    headers,
    body: call.body === undefined ? null : JSON.stringify(call.body),
  };
}

/** The decoded JSON answer of a call that must answer `expectStatus`. */
export function requestJson(
  origin: string,
  call: JsonCall,
  expectStatus: number,
): Promise<unknown> {
  return withConnection(origin, async (client) => {
    const response = await client.request(requestOptions(call));
    const text = await response.body.text();
    if (response.statusCode !== expectStatus) {
      throw new Error(`${call.method} ${call.path}: HTTP ${response.statusCode}: ${text}`);
    }
    return JSON.parse(text) as unknown;
  });
}

/**
 * Streams a text/event-stream answer, calling `onEvent` for each event as its bytes arrive;
 * resolves when the server ends the stream. `onEvent` may throw to fail the request.
 */
export function requestEvents(
  origin: string,
  call: JsonCall,
  onEvent: (event: EventSourceMessage) => void,
): Promise<void> {
  return withConnection(origin, async (client) => {
    const response = await client.request(requestOptions(call));
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new Error(`${call.method} ${call.path}: HTTP ${response.statusCode}: ${text}`);
    }
    let failure: unknown;
    const parser = createParser({
      onEvent: (event) => {
        if (failure !== undefined) return;
        try {
          onEvent(event);
        } catch (error) {
          failure = error;
        }
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (failure !== undefined) break;
    }
    if (failure !== undefined) throw failure;
  });
}
