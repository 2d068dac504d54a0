// Loads the YAML config plus env secrets into one validated, defaults-filled, typed Config.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { inspect } from "node:util";
import { Ajv, type ErrorObject } from "ajv";
import { parseDocument } from "yaml";
import { isPathRef } from "../models/model-ref-kind.js";
import { presetNames } from "../models/presets.js";
import { type Config, configSchema, type PoolConfig, type SchemaNode } from "./config-schema.js";
import { splitProblems } from "./gpu-split.js";
import { pulledModelsDir } from "./paths.js";

export type {
  AdmissionPolicy,
  Config,
  KvType,
  LogLevel,
  PoolBackend,
  PoolConfig,
  SessionBudgets,
} from "./config-schema.js";

/** A value that prints as `[REDACTED]` however it is logged, stringified or inspected. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return "[REDACTED]";
  }
  toString(): string {
    return "[REDACTED]";
  }
  [inspect.custom](): string {
    return "Secret([REDACTED])";
  }
}

/** Every problem found, one line each, naming the key path and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid config (${source}):\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface ValidateOptions {
  /** Relative paths in the file resolve against this; default the working directory. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Names the config in error messages. */
  source?: string;
}

/** llama.cpp's default logical batch, what an unset `batch_size` means. */
const DEFAULT_BATCH_SIZE = 2048;

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true });
ajv.addVocabulary(["defaultNote"]);
const validateSchema = ajv.compile(configSchema);

/** Reads `path`, else $LLAMA_ORCH_CONFIG, else uses the built-in default (one CPU pool). */
export async function loadConfig(path?: string, env = process.env): Promise<Config> {
  const file = path ?? (env.LLAMA_ORCH_CONFIG || undefined);
  if (file === undefined) return validateConfig({}, { env, source: "built-in default" });
  const abs = resolve(file);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (err) {
    throw new ConfigError(abs, [`cannot read the file: ${(err as Error).message}`]);
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      abs,
      doc.errors.map((e) => e.message),
    );
  return validateConfig(doc.toJS(), { baseDir: dirname(abs), env, source: abs });
}

/** Validates an already-parsed config document (snake_case keys) and fills every default. */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): Config {
  const env = options.env ?? process.env;
  const source = options.source ?? "config";
  // ajv writes defaults into its input: work on a copy so the caller's object stays as given.
  const data = structuredClone(raw ?? {});
  if (!validateSchema(data)) {
    // A value matching no alternative of an anyOf gets one line, from the anyOf, not one per branch.
    const errors = (validateSchema.errors ?? []).filter((e) => !e.schemaPath.includes("/anyOf/"));
    throw new ConfigError(source, errors.map(describeSchemaError));
  }
  const config = finish(camelKeys(data) as FileConfig, options.baseDir ?? process.cwd(), env);
  const problems = semanticProblems(config);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

type FileConfig = Omit<Config, "dataDir" | "pools" | "auth" | "models"> & {
  dataDir?: string;
  models: { dirs: string[]; cacheDir?: string; cacheMaxGb?: number };
  pools: (Omit<PoolConfig, "gpuLayers"> & { gpuLayers?: PoolConfig["gpuLayers"] })[];
};

function finish(file: FileConfig, baseDir: string, env: NodeJS.ProcessEnv): Config {
  const dataDir = env.LLAMA_ORCH_DATA_DIR
    ? resolvePath(env.LLAMA_ORCH_DATA_DIR, process.cwd())
    : file.dataDir !== undefined
      ? resolvePath(file.dataDir, baseDir)
      : defaultDataDir(env);
  const pools = file.pools.map((p) => ({
    ...p,
    // An external engine's model is a name, not a file of ours.
    model:
      p.engine === "llamacpp" && isPathRef(p.model)
        ? resolvePath(p.model, baseDir)
        : p.model.trim(),
    gpuLayers: p.gpuLayers ?? (p.backend === "cuda" ? -1 : 0),
    ...(p.chatTemplateFile ? { chatTemplateFile: resolvePath(p.chatTemplateFile, baseDir) } : {}),
  }));
  const auth: Config["auth"] = {
    optional: isTrue(env.AUTH_OPTIONAL),
    trustProxy: isTrue(env.TRUST_PROXY_AUTH),
  };
  if (env.AUTH_TOKEN) auth.token = new Secret(env.AUTH_TOKEN);
  const tls = Object.fromEntries(
    Object.entries(file.tls).map(([key, path]) => [key, resolvePath(path, baseDir)]),
  );
  const models = {
    ...file.models,
    dirs: file.models.dirs.map((dir) => resolvePath(dir, baseDir)),
    cacheDir: file.models.cacheDir ? resolvePath(file.models.cacheDir, baseDir) : pulledModelsDir(),
  };
  return { ...file, dataDir, pools, auth, tls, models };
}

function isTrue(value: string | undefined): boolean {
  return value === "true" || value === "1";
}

/** Data, not cache: sessions and artifacts must survive a cache wipe. */
function defaultDataDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_DATA_HOME;
  return join(xdg ? resolve(xdg) : join(homedir(), ".local", "share"), "llama-orch");
}

function resolvePath(path: string, baseDir: string): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  return resolve(baseDir, path);
}

function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([k, v]) => [toCamel(k), camelKeys(v)]);
  return Object.fromEntries(entries);
}

export function toCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function semanticProblems(config: Config): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  config.pools.forEach((pool, i) => {
    const first = seen.get(pool.id);
    if (first !== undefined) {
      problems.push(`pools[${i}].id: duplicate pool id "${pool.id}" (also pools[${first}].id)`);
    } else seen.set(pool.id, i);
    problems.push(...poolProblems(pool, `pools[${i}]`));
  });
  const { supervisor: s, workers: w } = config;
  if (s.backoffMaxMs < s.backoffInitialMs) {
    problems.push("supervisor.backoff_max_ms: must be >= supervisor.backoff_initial_ms");
  }
  if (w.staleAfterMs <= w.heartbeatMs) {
    problems.push("workers.stale_after_ms: must be > workers.heartbeat_ms");
  }
  problems.push(...bindProblems(config), ...tlsProblems(config));
  return problems;
}

/** An external engine needs its endpoint; the native engine has none. */
function engineProblems(pool: PoolConfig, at: string): string[] {
  const adapterKeys = [
    ["endpoint", pool.endpoint],
    ["served_model", pool.servedModel],
    ["token_env", pool.tokenEnv],
    ["metrics_endpoint", pool.metricsEndpoint],
  ] as const;
  if (pool.engine === "llamacpp") {
    return adapterKeys
      .filter(([, value]) => value !== undefined)
      .map(([key]) => `${at}.${key}: only external engines use it; remove it or set engine`);
  }
  return pool.endpoint === undefined
    ? [`${at}.endpoint: engine "${pool.engine}" needs the URL of its HTTP API`]
    : [];
}

function poolProblems(pool: PoolConfig, at: string): string[] {
  const problems: string[] = engineProblems(pool, at);
  if (pool.backend === "cpu") {
    const fix = 'remove it or set backend: "cuda"';
    if (pool.devices) problems.push(`${at}.devices: a cpu pool uses no GPU; ${fix}`);
    if (pool.tensorSplit) problems.push(`${at}.tensor_split: a cpu pool uses no GPU; ${fix}`);
    if (pool.gpuLayers !== 0) problems.push(`${at}.gpu_layers: must be 0 for a cpu pool`);
  }
  problems.push(...splitProblems(pool, at));
  if (pool.devices && pool.tensorSplit && pool.devices.length !== pool.tensorSplit.length) {
    problems.push(`${at}.tensor_split: must have one entry per device (${pool.devices.length})`);
  }
  if (pool.ubatchSize && pool.batchSize && pool.ubatchSize > pool.batchSize) {
    problems.push(`${at}.ubatch_size: must be <= batch_size (${pool.batchSize})`);
  }
  if (pool.prefillChunk && pool.prefillChunk > (pool.batchSize ?? DEFAULT_BATCH_SIZE)) {
    const limit = pool.batchSize ?? DEFAULT_BATCH_SIZE;
    problems.push(`${at}.prefill_chunk: must be <= batch_size (${limit})`);
  }
  if (pool.engine !== "llamacpp" && pool.embeddings) {
    problems.push(`${at}.embeddings: only the native engine (llamacpp) serves embeddings here`);
  }
  if (!pool.embeddings && pool.pooling !== "auto") {
    problems.push(`${at}.pooling: applies to embeddings pools only; set embeddings: true`);
  }
  const builtin = pool.model.match(/^builtin:(.*)$/);
  if (builtin && !(presetNames as readonly string[]).includes(builtin[1] ?? "")) {
    const known = presetNames.map((n) => `"builtin:${n}"`).join(", ");
    problems.push(`${at}.model: unknown built-in model "${pool.model}"; expected one of ${known}`);
  }
  return problems;
}

/** DESIGN decision 1: a non-loopback bind without a token refuses to start. */
function bindProblems(config: Config): string[] {
  if (config.auth.token) return [];
  const binds = [
    ["server.grpc_addr", config.server.grpcAddr],
    ["server.http_addr", config.server.httpAddr],
  ] as const;
  return binds
    .filter(([, addr]) => !isLoopback(addr))
    .map(
      ([key, addr]) =>
        `${key}: "${addr}" is not loopback, so AUTH_TOKEN must be set (NON_LOOPBACK_WITHOUT_TOKEN)`,
    );
}

function tlsProblems(config: Config): string[] {
  const keys = ["cert_file", "key_file", "ca_file"] as const;
  const given = keys.filter((key) => config.tls[toCamel(key) as keyof Config["tls"]] !== undefined);
  if (given.length === 0 || given.length === keys.length) return [];
  const missing = keys.filter((key) => !given.includes(key)).map((key) => `tls.${key}`);
  return [`tls: ${missing.join(", ")} missing: give cert_file, key_file and ca_file together`];
}

function isLoopback(addr: string): boolean {
  const host = addr.slice(0, addr.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function describeSchemaError(e: ErrorObject): string {
  const at = keyPath(e.instancePath);
  const got = `(got ${JSON.stringify(e.data)})`;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {});
      return `unknown key "${joinPath(at, key)}"${suggest(key, known)}`;
    }
    case "required":
      return `missing required key "${joinPath(at, String(e.params.missingProperty))}"`;
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return `${at}: must be one of ${allowed.join(", ")} ${got}`;
    }
    case "type":
      return `${at || "config"}: must be ${withArticle(String(e.params.type))} ${got}`;
    case "anyOf": {
      const shapes = (e.schema as SchemaNode[]).map((alt) =>
        alt.enum
          ? alt.enum.map((v) => JSON.stringify(v)).join(" or ")
          : `${withArticle(alt.type ?? "")}${alt.minimum === undefined ? "" : ` >= ${alt.minimum}`}`,
      );
      return `${at}: must be ${shapes.join(" or ")} ${got}`;
    }
    default:
      return `${at || "config"}: ${e.message ?? "is invalid"} ${got}`;
  }
}

/** JSON pointer `/pools/1/gpu_layers` -> `pools[1].gpu_layers`. */
function keyPath(pointer: string): string {
  const segments = pointer.split("/").slice(1);
  return segments.reduce((path, raw) => {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(seg) ? `${path}[${seg}]` : joinPath(path, seg);
  }, "");
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function suggest(key: string, known: string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= 2 ? ` (did you mean "${best.k}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
