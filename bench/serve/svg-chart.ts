// Line charts as an SVG string: panels side by side, each with axes, grid, lines and a legend.

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  /** y per x category; NaN leaves a gap. */
  values: number[];
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: string[];
  series: Series[];
  /** Log10 y axis, for latencies that span orders of magnitude. */
  logY?: boolean;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

const FONT = `font-family="DejaVu Sans"`;

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function text(x: number, y: number, body: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${attrs}>${escapeXml(body)}</text>`;
}

/** 0 to a round number above `max`, in about five steps of 1, 2 or 5 x 10^n. */
function linearTicks(max: number): number[] {
  const raw = Math.max(max, 1e-9) / 5;
  const base = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * base >= raw) ?? 10) * base;
  const count = Math.ceil(max / step);
  return Array.from({ length: count + 1 }, (_, i) => i * step);
}

/** 1-2-5 ticks from just below `min` to just above `max`. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  }
  const low = ticks.filter((t) => t <= min).at(-1) ?? ticks[0] ?? 1;
  const high = ticks.find((t) => t >= max) ?? ticks.at(-1) ?? 10;
  return ticks.filter((t) => t >= low && t <= high);
}

function tickLabel(value: number): string {
  if (value >= 1000 && value % 1000 === 0) return `${value / 1000}k`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(2);
}

function yScale(panel: Panel, plot: Box) {
  const values = panel.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(...values, 1);
  const ticks = panel.logY ? logTicks(Math.min(...values, max), max) : linearTicks(max);
  const lo = panel.logY ? Math.log10(ticks[0] ?? 1) : 0;
  const hi = panel.logY ? Math.log10(ticks.at(-1) ?? 10) : (ticks.at(-1) ?? 1);
  const at = (v: number) => {
    const t = ((panel.logY ? Math.log10(v) : v) - lo) / (hi - lo || 1);
    return plot.y + plot.h - t * plot.h;
  };
  return { ticks, at };
}

function axes(panel: Panel, plot: Box, y: ReturnType<typeof yScale>, xAt: (i: number) => number) {
  const parts: string[] = [];
  for (const tick of y.ticks) {
    const ty = y.at(tick);
    parts.push(
      `<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${ty}" y2="${ty}" stroke="#e3e3e3"/>`,
    );
    parts.push(
      text(plot.x - 6, ty + 4, tickLabel(tick), `font-size="11" text-anchor="end" fill="#444"`),
    );
  }
  for (const [i, label] of panel.xTicks.entries()) {
    parts.push(
      text(xAt(i), plot.y + plot.h + 16, label, `font-size="11" text-anchor="middle" fill="#444"`),
    );
  }
  const bottom = plot.y + plot.h;
  parts.push(
    `<polyline points="${plot.x},${plot.y} ${plot.x},${bottom} ${plot.x + plot.w},${bottom}" fill="none" stroke="#333"/>`,
  );
  parts.push(
    text(plot.x + plot.w / 2, bottom + 34, panel.xLabel, `font-size="12" text-anchor="middle"`),
  );
  const cy = plot.y + plot.h / 2;
  parts.push(
    text(
      plot.x - 46,
      cy,
      panel.yLabel,
      `font-size="12" text-anchor="middle" transform="rotate(-90 ${plot.x - 46} ${cy})"`,
    ),
  );
  return parts;
}

function lines(panel: Panel, y: ReturnType<typeof yScale>, xAt: (i: number) => number) {
  const parts: string[] = [];
  for (const s of panel.series) {
    const points = s.values.flatMap((v, i) =>
      Number.isFinite(v) && v > 0 ? [[xAt(i), y.at(v)]] : [],
    );
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const path = points.map(([px, py]) => `${px?.toFixed(1)},${py?.toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2.2"${dash}/>`,
    );
    for (const [px, py] of points)
      parts.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${s.color}"/>`);
  }
  return parts;
}

const LEGEND_ROW = 17;

/** Under the axis title, one row per series: it never hides a line. */
function legend(panel: Panel, plot: Box): string[] {
  const x = plot.x + 8;
  return panel.series.flatMap((s, i) => {
    const ly = plot.y + plot.h + 58 + i * LEGEND_ROW;
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    return [
      `<line x1="${x}" x2="${x + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.2"${dash}/>`,
      text(x + 36, ly, s.label, `font-size="12"`),
    ];
  });
}

/** `legendRows` is the same for every panel, so their x axes line up. */
function panelSvg(panel: Panel, box: Box, legendRows: number): string {
  const legendH = legendRows * LEGEND_ROW;
  const plot = { x: box.x + 62, y: box.y + 30, w: box.w - 80, h: box.h - 90 - legendH };
  const n = Math.max(panel.xTicks.length, 1);
  const xAt = (i: number) => plot.x + ((i + 0.5) / n) * plot.w;
  const y = yScale(panel, plot);
  return [
    text(
      box.x + box.w / 2,
      box.y + 16,
      panel.title,
      `font-size="14" font-weight="bold" text-anchor="middle"`,
    ),
    ...axes(panel, plot, y, xAt),
    ...lines(panel, y, xAt),
    ...legend(panel, plot),
  ].join("\n");
}

/** Panels in one row under a title and a subtitle line. */
export function chartSvg(title: string, subtitle: string, panels: readonly Panel[]): string {
  const panelW = 420;
  const panelH = 420;
  const width = panelW * panels.length + 20;
  const height = panelH + 70;
  const rows = Math.max(...panels.map((p) => p.series.length));
  const body = panels.map((panel, i) =>
    panelSvg(panel, { x: 10 + i * panelW, y: 60, w: panelW, h: panelH }, rows),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    text(width / 2, 26, title, `font-size="17" font-weight="bold" text-anchor="middle"`),
    text(width / 2, 46, subtitle, `font-size="12" text-anchor="middle" fill="#555"`),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
