// The status page's wiring: the Bearer token (session storage only), the one SSE stream of
// status snapshots read with fetch (EventSource cannot send a header), and the operator's actions
// (the Models panel and its pull form are models.js).
import { initModels, loadModels } from "./models.js";
import { renderPools, renderSessions, renderTasks } from "./render.js";
import { readSse } from "./sse.js";

const TOKEN_KEY = "llama-orch-token";
const RETRY_MS = 2000;

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

function headers(extra = {}) {
  const t = token();
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

function notice(text) {
  const el = document.getElementById("notice");
  el.textContent = text;
  el.hidden = !text;
}

function setLink(up, text) {
  const el = document.getElementById("link");
  el.className = `link ${up ? "up" : "down"}`;
  el.textContent = text;
}

/** One line for a failed call: the registry code and its actionable message. */
async function failure(response) {
  try {
    const body = await response.json();
    if (body.code === 40101 || body.code === 40102)
      return `${body.message}: ${body.hint} (enter the token above)`;
    return `${body.code}: ${body.message}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

async function call(method, path, body) {
  const init = { method, headers: headers(body ? { "content-type": "application/json" } : {}) };
  if (body) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) notice(await failure(response));
  else notice("");
  return response.ok;
}

const act = {
  cancel: (id) => call("POST", `/v1/tasks/${encodeURIComponent(id)}/cancel`),
  drain: (pool) =>
    call("POST", `/v1/pools/${encodeURIComponent(pool)}/drain`, { deadline_ms: 60000 }),
  reload: (pool, current) => {
    const ref = prompt(`Model to load on ${pool}`, current);
    return ref
      ? call("POST", `/v1/pools/${encodeURIComponent(pool)}/reload`, { new_model_ref: ref })
      : false;
  },
  purge: (pool) =>
    confirm(`Purge ${pool}? Its KV and generated model files are dropped.`)
      ? call("POST", `/v1/pools/${encodeURIComponent(pool)}/purge`, {})
      : false,
};

function render(snapshot) {
  document.getElementById("version").textContent = `v${snapshot.version}`;
  renderPools(snapshot, act);
  renderTasks(snapshot, act);
  renderSessions(snapshot);
  document.body.dataset.updated = String(snapshot.now_ms);
}

/** Each `status` frame of the stream renders; an `error` frame becomes the notice. */
function readFrames(body) {
  return readSse(body, (event, data) => {
    if (event === "status") render(data);
    if (event === "error") notice(data.message);
  });
}

let stream;

async function connect() {
  stream?.abort();
  stream = new AbortController();
  try {
    const response = await fetch("/v1/events", { headers: headers(), signal: stream.signal });
    if (!response.ok) {
      setLink(false, "not connected");
      notice(await failure(response));
      if (response.status === 401) return; // waits for a token
    } else {
      setLink(true, "live");
      notice("");
      loadModels();
      await readFrames(response.body);
      setLink(false, "reconnecting…");
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    setLink(false, "reconnecting…");
  }
  setTimeout(connect, RETRY_MS);
}

function showTokenState() {
  document.getElementById("forget").hidden = !token();
  document.getElementById("token").placeholder = token()
    ? "token set"
    : "Bearer token (AUTH_TOKEN)";
}

document.getElementById("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("token");
  if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  showTokenState();
  connect();
});
document.getElementById("forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showTokenState();
  connect();
});
initModels({ headers });
showTokenState();
connect();
