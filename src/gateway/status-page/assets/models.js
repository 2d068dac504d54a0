// The Models panel: the catalog's entries, and a pull form that starts POST /v1/models/pull and
// shows its SSE progress (bytes, total, rate, then done or the error's code and message).
import { bytes, fill, h, meter, table } from "./dom.js";
import { readSse } from "./sse.js";

/** What the panel needs of the page: its auth headers and how it reports a failed call. */
let page;

function modelRow(model) {
  return h(
    "tr",
    { "data-model": model.id },
    h("td", { class: "id" }, model.id),
    h("td", {}, h("span", { class: `badge ${(model.state ?? "").toLowerCase()}` }, model.state)),
    h("td", { class: "id hide-narrow" }, model.source_url ?? ""),
  );
}

export async function loadModels() {
  const response = await fetch("/v1/catalog/models", { headers: page.headers() });
  if (!response.ok) return; // the status stream already says why (a missing token)
  const { models } = await response.json();
  const rows = models.map(modelRow);
  fill("models", table([["id"], ["state"], ["source", "hide-narrow"]], rows, "no models"));
}

/** The progress line: phase, a meter once the total is known, and the numbers. */
function showProgress(state) {
  const el = document.getElementById("pull-progress");
  el.hidden = false;
  el.dataset.phase = state.phase;
  const numbers =
    state.phase === "downloading"
      ? `${bytes(state.bytes)}${state.total ? ` / ${bytes(state.total)}` : ""} · ${bytes(state.rate)}/s`
      : "";
  const line =
    state.phase === "done"
      ? `done: ${state.id} (${state.digest})`
      : state.phase === "error"
        ? `${state.code}: ${state.message}`
        : `${state.phase}… ${numbers}`;
  const text = h("div", { class: state.phase === "error" ? "error-line" : "pull-line" }, line);
  if (state.total) el.replaceChildren(text, meter(state.bytes ?? 0, state.total, "pull progress"));
  else el.replaceChildren(text);
}

const PHASES = {
  resolving: () => ({ phase: "resolving" }),
  downloading: (d) => ({
    phase: "downloading",
    bytes: d.bytes,
    total: d.total,
    rate: d.bytes_per_s,
  }),
  verifying: (_d, last) => ({ ...last, phase: "verifying" }),
  done: (d, last) => ({ ...last, phase: "done", id: d.id, digest: d.digest }),
  error: (d) => ({ phase: "error", code: d.code, message: d.message }),
};

async function pull(ref, alias) {
  const button = document.querySelector("#pull button");
  button.disabled = true;
  showProgress({ phase: "resolving" });
  try {
    const body = JSON.stringify(alias ? { ref, alias } : { ref });
    const headers = page.headers({ "content-type": "application/json" });
    const response = await fetch("/v1/models/pull", { method: "POST", headers, body });
    if (!response.ok) {
      const { code, message } = await response.json().catch(() => ({}));
      showProgress({ phase: "error", code: code ?? response.status, message: message ?? "" });
      return;
    }
    let state = { phase: "resolving" };
    await readSse(response.body, (event, data) => {
      const next = PHASES[event];
      if (!next) return;
      state = next(data, state);
      showProgress(state);
    });
    if (state.phase === "done") await loadModels();
  } catch (error) {
    showProgress({ phase: "error", code: "NETWORK", message: String(error.message ?? error) });
  } finally {
    button.disabled = false;
  }
}

export function initModels(context) {
  page = context;
  document.getElementById("pull").addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = document.getElementById("pull-ref").value.trim();
    const alias = document.getElementById("pull-alias").value.trim();
    if (ref) pull(ref, alias);
  });
}
