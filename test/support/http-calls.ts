// One HTTP call to a serve process's gateway (undici), with the JSON body parsed, for e2e tests.
import { request } from "undici";
import type { ServeProcess } from "./serve-process.js";

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
}

export async function call(
  serve: ServeProcess,
  method: "GET" | "POST" | "DELETE" | "OPTIONS",
  path: string,
  options: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const hasBody = options.json !== undefined || options.raw !== undefined;
  const res = await request(`${serve.http}${path}`, {
    method,
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...options.headers },
    body: options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json)),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}
