// Structured JSON-lines logs through pino: typed context fields, child loggers, secret redaction.
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * Context bound to a child logger or passed with one event. Field names follow SPEC 10.4 so logs
 * group by `correlation_id` and join with metrics; a type (not an interface) so pino accepts it.
 */
export type LogContext = {
  correlation_id?: string;
  task_id?: string;
  session_id?: string;
  pool_id?: string;
  worker_id?: string;
  engine?: string;
  engine_version?: string;
  model_ref?: string;
  model_digest?: string;
  priority?: string;
  seed?: number;
  queue_position?: number;
  predicted_start_ms?: number;
  tokens_in?: number;
  tokens_out?: number;
  decode_time_ms?: number;
  finish_reason?: string;
  error_code?: string;
};

const secretKeys = ["authorization", "token", "auth_token", "authToken", "api_key"] as const;

// pino's redaction matches fixed paths, not "any depth": cover the top level and four levels
// below it, which reaches e.g. `req.headers.authorization` and `metadata.*.token`.
const REDACT_DEPTH = 5;

export const redactPaths: readonly string[] = secretKeys.flatMap((key) =>
  Array.from({ length: REDACT_DEPTH }, (_, depth) => [...Array(depth).fill("*"), key].join(".")),
);

export interface LoggerOptions {
  level?: LogLevel;
  /** Names the component (`control`, `worker`, `gateway`). */
  name?: string;
  /** Defaults to stdout; tests pass a stream they read back. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? "info",
    redact: { paths: [...redactPaths], censor: "[REDACTED]" },
    // Level names, not numbers, so `jq 'select(.level=="error")'` works on the raw lines.
    formatters: { level: (label: string) => ({ level: label }) },
    ...(options.name !== undefined ? { name: options.name } : {}),
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A child logger whose every line carries `context`; the one way call sites bind task fields. */
export function withContext(log: Logger, context: LogContext): Logger {
  return log.child(context);
}

/** A logger that writes nothing, for tests and tools that take a logger but have no use for it. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
