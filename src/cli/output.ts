// What the CLI writes: JSON when asked, else aligned tables; colours only on a TTY (and never
// under NO_COLOR), so piped output stays plain.
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const useColour = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

const CODES = { green: 32, yellow: 33, red: 31, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour): string {
  return useColour() ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** The colour of a pool or task state, for the human tables. */
export function stateColour(state: string): Colour {
  if (state === "ready" || state.startsWith("finished")) return "green";
  if (state === "failed" || state === "error") return "red";
  if (state === "cancelled") return "dim";
  return "yellow";
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour escapes this file adds
const ESCAPES = /\u001b\[\d+m/g;

/** Columns padded to their widest cell (escape codes not counted); an empty table says so. */
export function table(title: string, headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `${paint(title, "bold")}\n  ${paint(empty, "dim")}\n`;
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").replace(ESCAPES, "").length)),
  );
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => c + " ".repeat((widths[i] ?? 0) - c.replace(ESCAPES, "").length))
      .join("  ")
      .trimEnd()}`;
  return [paint(title, "bold"), paint(line(headers), "dim"), ...rows.map(line), ""].join("\n");
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "-";
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)}s`;
  return `${Math.floor(value / 60_000)}m${Math.round((value % 60_000) / 1000)}s`;
}

export function bytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = value;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)}${units[u]}`;
}

export function rate(value: number | undefined): string {
  return value !== undefined && value > 0 ? `${value.toFixed(value < 10 ? 1 : 0)} tok/s` : "-";
}
