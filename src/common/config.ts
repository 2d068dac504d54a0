// Loads the YAML config plus env secrets into one validated, defaults-filled, typed Config.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import { parseDocument } from "yaml";
import { isPathRef } from "../models/model-ref-kind.js";
import { camelKeys } from "./config-keys.js";
import { semanticProblems } from "./config-problems.js";
import { type Config, configSchema } from "./config-schema.js";
import { describeSchemaError } from "./config-schema-errors.js";
import type { PoolConfig } from "./config-schema-pool.js";
import { pulledModelsDir } from "./paths.js";
import { Secret } from "./secret.js";

export type { Config, LogLevel } from "./config-schema.js";
export type { PoolConfig } from "./config-schema-pool.js";

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
