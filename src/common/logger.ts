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

const SECRET_KEYS: ReadonlySet<string> = new Set([
  "authorization",
  "token",
  "auth_token",
  "authToken",
  "api_key",
]);
const CENSOR = "[REDACTED]";

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every secret-keyed field censored, at any depth. One walk per line, copying only
 * the objects on the way to a secret, so a line without one is logged as given: pino's own
 * `redact` walked the line once per wildcard path (~0.7 ms of serve's CPU per request in a V8
 * profile). `path` holds the objects above `value`: a cycle back to one of them prints as
 * `[Circular]` (as pino would print it), never as the uncensored original.
 */
function scrubbed(value: unknown, path: object[] = []): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (path.includes(value)) return "[Circular]";
  path.push(value);
  const clean = Array.isArray(value) ? scrubbedItems(value, path) : scrubbedFields(value, path);
  path.pop();
  return clean;
}

function scrubbedItems(items: unknown[], path: object[]): unknown[] {
  const clean = items.map((item) => scrubbed(item, path));
  return clean.some((item, i) => item !== items[i]) ? clean : items;
}

function scrubbedFields(value: object, path: object[]): object {
  const isError = value instanceof Error;
  if (!isError && !isPlain(value)) return value; // a Secret prints itself; Buffers, Maps as given
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const clean = SECRET_KEYS.has(key) && item !== undefined ? CENSOR : scrubbed(item, path);
    if (clean === item) continue;
    copy ??= isError ? errorCopy(value) : { ...value };
    copy[key] = clean;
  }
  return copy ?? value;
}

/** An Error's copy that pino's error serializer still reads as one (type, message, stack). */
function errorCopy(error: Error): Record<string, unknown> {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object), error);
  return Object.assign(copy, { message: error.message, stack: error.stack });
}

/** Censors a top-level secret key, in a line's fields and in a child logger's bindings alike. */
const secretSerializers = Object.fromEntries([...SECRET_KEYS].map((key) => [key, () => CENSOR]));

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
    // Level names, not numbers, so `jq 'select(.level=="error")'` works on the raw lines.
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (fields: Record<string, unknown>) => scrubbed(fields) as Record<string, unknown>,
    },
    serializers: secretSerializers,
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
