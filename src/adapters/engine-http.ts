// The one HTTP client of the adapters: auth header, timeouts, error mapping, SSE frame reading.
import { OrchError } from "../common/errors.js";
import { fromEngineStatus, fromTransport } from "./engine-errors.js";

const DEFAULT_TIMEOUT_MS = 30_000;
/** Health and metrics must answer quickly: a slow one already says the engine is in trouble. */
const PROBE_TIMEOUT_MS = 3000;

export interface EngineHttpOptions {
  engine: string;
  endpoint: string;
  token?: string;
  requestTimeoutMs?: number;
}

export class EngineHttp {
  readonly endpoint: string;
  private readonly options: EngineHttpOptions;

  constructor(options: EngineHttpOptions) {
    this.options = options;
    this.endpoint = options.endpoint.replace(/\/+$/, "");
  }

  /** GET or POST returning the parsed JSON body; non-2xx becomes the registry error. */
  async json<T>(path: string, body?: unknown): Promise<T> {
    const response = await this.send(path, body, AbortSignal.timeout(this.timeoutMs()));
    return (await response.json()) as T;
  }

  /** A short GET for health and metrics. */
  async probe(url: string): Promise<string> {
    const response = await this.send(url, undefined, AbortSignal.timeout(PROBE_TIMEOUT_MS));
    return response.text();
  }

  /**
   * POSTs and yields each SSE event's data (RFC: WHATWG HTML "server-sent events": `data:` lines
   * joined by newlines, an empty line ends an event). Aborting `signal` closes the connection.
   */
  async *events(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<string> {
    const response = await this.headersWithin(path, body, signal);
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, "");
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
          if (line === "") {
            if (data.length > 0) yield data.join("\n");
            data = [];
          } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      throw new OrchError(
        "POOL_UNAVAILABLE",
        `${this.options.engine} stream broke mid-generation (${describe(error)}); retry`,
      );
    }
    if (!signal.aborted && data.length > 0) yield data.join("\n");
  }

  /**
   * The timeout bounds the wait for the response headers only: fetch's signal also governs the
   * body, and a long generation must not be cut at the timeout.
   */
  private async headersWithin(path: string, body: unknown, signal: AbortSignal) {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener("abort", abort, { once: true });
    const timer = setTimeout(abort, this.timeoutMs());
    try {
      return await this.send(path, body, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private timeoutMs(): number {
    return this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private async send(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.endpoint}${path}`;
    const headers: Record<string, string> = { accept: "application/json, text/event-stream" };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, {
        method: body === undefined ? "GET" : "POST",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw fromTransport(this.options.engine, url, error);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw fromEngineStatus(
      this.options.engine,
      response.status,
      text,
      response.headers.get("retry-after"),
    );
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
