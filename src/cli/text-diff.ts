// A line diff for `artifacts diff`: the longest common subsequence of two texts' lines, printed as
// unified-style `-`/`+`/` ` lines. Transcripts are compared by their generated text, then events.

export type DiffLine = { op: " " | "-" | "+"; text: string };

/** Lines over this product fall back to a plain before/after listing (LCS needs n*m cells). */
const MAX_CELLS = 4_000_000;

export function diffLines(before: string[], after: string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  if (n * m > MAX_CELLS) {
    return [
      ...before.map((text) => ({ op: "-" as const, text })),
      ...after.map((text) => ({ op: "+" as const, text })),
    ];
  }
  // common[i][j]: LCS length of before[i..] and after[j..], in one flat array.
  const common = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => common[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i * (m + 1) + j] =
        before[i] === after[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      out.push({ op: " ", text: before[i++] as string });
      j++;
    } else if (i < n && (j === m || at(i + 1, j) >= at(i, j + 1)))
      out.push({ op: "-", text: before[i++] as string });
    else out.push({ op: "+", text: after[j++] as string });
  }
  return out;
}

interface Transcript {
  events: { type: string; data: Record<string, unknown> }[];
}

function isTranscript(value: unknown): value is Transcript {
  return typeof value === "object" && value !== null && Array.isArray((value as Transcript).events);
}

/**
 * The lines a diff compares: a transcript becomes its generated text (split into lines) and then
 * one line per non-token event; JSON is pretty-printed; anything else is its text's lines.
 */
export function diffableLines(content: Buffer, contentType: string): string[] {
  const text = content.toString("utf8");
  if (!contentType.startsWith("application/json")) return text.split("\n");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text.split("\n");
  }
  if (!isTranscript(doc)) return JSON.stringify(doc, null, 2).split("\n");
  const generated = doc.events
    .filter((e) => e.type === "token")
    .map((e) => String(e.data.t ?? ""))
    .join("");
  const others = doc.events
    .filter((e) => e.type !== "token")
    .map((e) => `[${e.type}] ${JSON.stringify(e.data)}`);
  return [...generated.split("\n"), ...others];
}
