// The results as a picture: tok/s and TTFT against concurrency, and multi-turn TTFT per turn.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { chartSvg, type Panel, type Series } from "./svg-chart.js";
import type { ServeSettings, ServeSummary, SurfaceName } from "./types.js";

const require = createRequire(import.meta.url);

const look: Record<SurfaceName, { label: string; color: string; dashed?: boolean }> = {
  "llama-server": { label: "llama-server (OpenAI)", color: "#d95f02" },
  "orch-openai": { label: "llama-orch (OpenAI)", color: "#1f5fbf" },
  "orch-native": { label: "llama-orch (native tasks)", color: "#2a9d3a", dashed: true },
};

function levelSeries(summary: ServeSummary, pick: (s: SurfaceName) => (c: number) => number) {
  const names: SurfaceName[] = ["llama-server", "orch-openai", "orch-native"];
  return names.map(
    (name): Series => ({
      ...look[name],
      values: summary.levels.map((l) => pick(name)(l.concurrency)),
    }),
  );
}

export function servePanels(summary: ServeSummary): Panel[] {
  const xTicks = summary.levels.map((l) => String(l.concurrency));
  const at = (name: SurfaceName, c: number) =>
    summary.levels.find((l) => l.concurrency === c)?.surfaces[name];
  const peer = summary.multiTurn["llama-server"];
  const ours = summary.multiTurn["llama-orch"];
  const turns = peer?.perTurn.length ?? 0;
  return [
    {
      title: "Throughput",
      xLabel: "requests in flight",
      yLabel: "generated tokens/s (all requests)",
      xTicks,
      series: levelSeries(summary, (n) => (c) => at(n, c)?.tokensPerSecond ?? Number.NaN),
    },
    {
      title: "Time to first token, p50",
      xLabel: "requests in flight",
      yLabel: "ms (log scale)",
      xTicks,
      series: levelSeries(summary, (n) => (c) => at(n, c)?.ttftMs.p50 ?? Number.NaN),
      logY: true,
    },
    {
      title: "Multi-turn: TTFT p50 per turn",
      xLabel: "turn (history grows)",
      yLabel: "ms (log scale)",
      xTicks: Array.from({ length: turns }, (_, k) => String(k + 1)),
      series: [
        {
          ...look["llama-server"],
          label: "llama-server, cache_prompt",
          values: peer?.perTurn.map((p) => p.p50) ?? [],
        },
        {
          ...look["orch-openai"],
          label: "llama-orch, session",
          values: ours?.perTurn.map((p) => p.p50) ?? [],
        },
      ],
      logY: true,
    },
  ];
}

/** resvg finds no system fonts here: DejaVu Sans comes from the dejavu-fonts-ttf package. */
async function renderPng(svg: string): Promise<Uint8Array> {
  await initWasm(readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  const font = readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"));
  const bold = readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf"));
  const resvg = new Resvg(svg, {
    font: { fontBuffers: [font, bold], defaultFontFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: 1.5 },
  });
  const png = resvg.render().asPng();
  resvg.free();
  return png;
}

export async function writeChart(
  svgPath: string,
  pngPath: string,
  summary: ServeSummary,
  settings: ServeSettings,
  when: string,
): Promise<void> {
  const subtitle =
    `bench model Q8_0, ${settings.slots} slots x ${settings.contextPerSequence} ctx, ` +
    `${settings.threads} threads, ${settings.maxTokens} tokens per request, ` +
    `medians of ${settings.rounds} round(s), ${when}`;
  const svg = chartSvg(
    "llama-orch vs llama-server (same model, same settings)",
    subtitle,
    servePanels(summary),
  );
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, await renderPng(svg));
}
