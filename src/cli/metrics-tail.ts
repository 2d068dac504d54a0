// `llama-orch metrics tail`: selected Prometheus series from the gateway's /metrics, refreshed.
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { CliFailure, report } from "./control-client.js";
import { table } from "./output.js";
import { integer } from "./parse.js";

interface TailOptions {
  http: string;
  series: string[];
  intervalMs: number;
  count: number;
  json: boolean;
}

/** The series the page and operators watch most: queue, slots, throughput, latency counts. */
const DEFAULT_SERIES = [
  "queue_depth",
  "tasks_started_total",
  "tasks_canceled_total",
  "tokens_out_total",
];

/** Samples of the exposition whose metric name is one of `names` (`name{labels} value`). */
export function selectSeries(text: string, names: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const split = line.lastIndexOf(" ");
    const series = line.slice(0, split);
    const name = series.split("{")[0] ?? "";
    if (names.includes(name)) out.push([series, line.slice(split + 1)]);
  }
  return out;
}

async function scrape(base: string): Promise<string> {
  const token = process.env.AUTH_TOKEN;
  const response = await fetch(new URL("/metrics", base), {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  }).catch((error: Error) => {
    const message = `no gateway answered at ${base} (${error.message}); start \`llama-orch serve\` or pass --http URL`;
    throw new CliFailure("CONTROL_PLANE_UNREACHABLE", message);
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
      code?: unknown;
      hint?: string;
    };
    // Auth failures answer {code: 4010x, message: "MISSING_TOKEN", hint}; others the envelope.
    const code = typeof body.code === "number" ? body.message : body.code;
    const message = body.hint ?? body.message ?? `HTTP ${response.status}`;
    throw new CliFailure(String(code ?? "INTERNAL"), message);
  }
  return response.text();
}

async function tail(options: TailOptions): Promise<void> {
  for (let round = 0; options.count === 0 || round < options.count; round++) {
    if (round > 0) await sleep(options.intervalMs);
    const samples = selectSeries(await scrape(options.http), options.series);
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ at_ms: Date.now(), samples: Object.fromEntries(samples) })}\n`,
      );
    else
      process.stdout.write(
        table(new Date().toISOString(), ["SERIES", "VALUE"], samples, "no matching series"),
      );
  }
}

export function registerMetrics(program: Command): void {
  const metrics = program.command("metrics").description("the gateway's Prometheus metrics");
  metrics
    .command("tail")
    .description("print selected series every --interval-ms (--count 0: until interrupted)")
    .option("--http <url>", "the gateway's base URL", "http://127.0.0.1:8080")
    .option(
      "--series <names>",
      "comma-separated metric names",
      (v: string) => v.split(","),
      DEFAULT_SERIES,
    )
    .option("--interval-ms <ms>", "refresh interval", integer(100), 2000)
    .option("--count <n>", "rounds to print; 0: until interrupted", integer(0), 0)
    .option("--json", "one JSON line per round", false)
    .action((options: TailOptions) => tail(options).catch(report));
}
