// The panels of the status page, each rendered from one status snapshot (control.yaml StatusSnapshot).
import { bytes, fill, h, meter, ms, rate, shortId, sparkline, table } from "./dom.js";

/** Per GPU (pool + index): the last utilisation readings, for the sparkline. */
const HISTORY = 60;
const history = new Map();

function poolCard(pool, act) {
  const kvShare = pool.kv_cells_total > 0 ? `${pool.kv_cells_used} / ${pool.kv_cells_total}` : "—";
  const hit = pool.prefix_cache_hit_ratio;
  return h(
    "article",
    { class: "card", "data-pool": pool.pool_id },
    h(
      "h3",
      {},
      h("span", { class: "id" }, pool.pool_id),
      h("span", { class: `badge ${pool.state}` }, pool.state),
    ),
    h(
      "div",
      { class: "muted" },
      pool.model_ref || "no model",
      pool.backend ? ` · ${pool.backend}` : "",
    ),
    h(
      "div",
      { class: "row" },
      h("span", {}, "slots"),
      h("span", {}, `${pool.slots_busy} / ${pool.slots_total}`),
    ),
    meter(pool.slots_busy, pool.slots_total, `slots of ${pool.pool_id}`),
    h("div", { class: "row" }, h("span", {}, "KV cells"), h("span", {}, kvShare)),
    meter(pool.kv_cells_used ?? 0, pool.kv_cells_total ?? 0, `KV of ${pool.pool_id}`),
    h(
      "div",
      { class: "row" },
      h("span", {}, "decode"),
      h("span", {}, rate(pool.decode_tokens_per_second)),
    ),
    h("div", { class: "row" }, h("span", {}, "queue"), h("span", {}, String(pool.queue_depth))),
    h(
      "div",
      { class: "row" },
      h("span", {}, "prefix cache hits"),
      h("span", {}, hit === undefined ? "—" : `${(hit * 100).toFixed(0)}%`),
    ),
    pool.restarts > 0
      ? h("div", { class: "row" }, h("span", {}, "restarts"), h("span", {}, String(pool.restarts)))
      : null,
    pool.last_error ? h("div", { class: "error-line" }, pool.last_error) : null,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => act.drain(pool.pool_id) }, "Drain"),
      h(
        "button",
        { type: "button", onclick: () => act.reload(pool.pool_id, pool.model_ref) },
        "Reload",
      ),
      h(
        "button",
        { type: "button", class: "danger", onclick: () => act.purge(pool.pool_id) },
        "Purge",
      ),
    ),
  );
}

function gpuCard(pool, gpu) {
  const key = `${pool.pool_id}/${gpu.index}`;
  const past = history.get(key) ?? [];
  past.push(gpu.utilization_percent ?? 0);
  if (past.length > HISTORY) past.shift();
  history.set(key, past);
  const power = gpu.power_watts === undefined ? "—" : `${gpu.power_watts.toFixed(0)} W`;
  const temp = gpu.temperature_c === undefined ? "—" : `${gpu.temperature_c} °C`;
  return h(
    "article",
    { class: "card", "data-gpu": key },
    h(
      "h3",
      {},
      h("span", {}, `GPU ${gpu.index} · ${gpu.name}`),
      h("span", { class: "muted" }, pool.pool_id),
    ),
    h(
      "div",
      { class: "row" },
      h("span", {}, "utilisation"),
      h("span", {}, gpu.utilization_percent === undefined ? "—" : `${gpu.utilization_percent}%`),
    ),
    sparkline(past, 100, `utilisation history of GPU ${gpu.index}`),
    h(
      "div",
      { class: "row" },
      h("span", {}, "memory"),
      h("span", {}, `${bytes(gpu.memory_used_bytes)} / ${bytes(gpu.memory_total_bytes)}`),
    ),
    meter(gpu.memory_used_bytes ?? 0, gpu.memory_total_bytes ?? 0, `memory of GPU ${gpu.index}`),
    h("div", { class: "row" }, h("span", {}, "power"), h("span", {}, power)),
    h("div", { class: "row" }, h("span", {}, "temperature"), h("span", {}, temp)),
  );
}

function cancelButton(task, act) {
  return h(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: () => act.cancel(task.task_id),
      "aria-label": `cancel ${task.task_id}`,
    },
    "Cancel",
  );
}

/** queued -> placed -> first token -> now/end, as a bar of wait, prefill and decode. */
function timeline(task, now) {
  const end = task.ended_ms || now;
  const total = Math.max(1, end - task.queued_ms);
  const placed = task.placed_ms || end;
  const first = task.first_token_ms || end;
  const part = (cls, from, to, label) =>
    h("span", {
      class: cls,
      style: `width:${((Math.max(0, to - from) / total) * 100).toFixed(1)}%`,
      title: `${label} ${ms(to - from)}`,
    });
  return h(
    "div",
    {
      class: "timeline",
      role: "img",
      "aria-label": `waited ${ms(placed - task.queued_ms)}, first token after ${ms(first - placed)}`,
    },
    part("wait", task.queued_ms, placed, "queued"),
    part("prefill", placed, first, "to first token"),
    part("decode", first, end, "decoding"),
  );
}

export function renderPools(snapshot, act) {
  fill(
    "pools",
    snapshot.pools.length
      ? snapshot.pools.map((p) => poolCard(p, act))
      : h("p", { class: "empty" }, "no pools"),
  );
  const gpus = snapshot.pools.flatMap((p) => p.gpus.map((g) => gpuCard(p, g)));
  const reasons = [...new Set(snapshot.pools.map((p) => p.gpu_reason).filter(Boolean))];
  fill(
    "gpus",
    gpus.length
      ? gpus
      : h(
          "p",
          { class: "empty" },
          reasons.length ? `no GPUs: ${reasons.join("; ")}` : "no GPUs reported",
        ),
  );
}

export function renderTasks(snapshot, act) {
  const now = snapshot.now_ms;
  const queued = snapshot.tasks.filter((t) => t.state === "queued");
  const running = snapshot.tasks.filter((t) => t.state === "running");
  const ended = snapshot.tasks.filter((t) => t.ended_ms > 0);
  const idCell = (t) => h("td", { class: "id", title: t.task_id }, shortId(t.task_id));
  fill(
    "queue",
    table(
      [
        ["#"],
        ["task"],
        ["pool", "hide-narrow"],
        ["priority"],
        ["age", "hide-narrow"],
        ["starts in"],
        [""],
      ],
      queued.map((t) =>
        h(
          "tr",
          { "data-task": t.task_id },
          h("td", {}, String(t.queue_position)),
          idCell(t),
          h("td", { class: "hide-narrow" }, t.pool_id),
          h("td", {}, t.priority),
          h("td", { class: "hide-narrow" }, ms(now - t.queued_ms)),
          h("td", {}, ms(t.predicted_start_ms)),
          h("td", {}, cancelButton(t, act)),
        ),
      ),
      "queue empty",
    ),
  );
  fill(
    "running",
    table(
      [["task"], ["pool", "hide-narrow"], ["timeline"], ["tokens"], ["rate", "hide-narrow"], [""]],
      running.map((t) =>
        h(
          "tr",
          { "data-task": t.task_id },
          idCell(t),
          h("td", { class: "hide-narrow" }, t.pool_id),
          h("td", {}, timeline(t, now)),
          h("td", {}, `${t.tokens_out} / ${t.max_tokens}`),
          h("td", { class: "hide-narrow" }, rate(t.tokens_per_second)),
          h("td", {}, cancelButton(t, act)),
        ),
      ),
      "nothing running",
    ),
  );
  fill(
    "recent",
    table(
      [
        ["task"],
        ["pool"],
        ["outcome"],
        ["tokens"],
        ["took", "hide-narrow"],
        ["rate", "hide-narrow"],
      ],
      ended.map((t) =>
        h(
          "tr",
          { "data-task": t.task_id },
          idCell(t),
          h("td", {}, t.pool_id),
          h("td", {}, h("span", { class: `badge ${t.state}` }, t.error_code || t.state)),
          h("td", {}, String(t.tokens_out)),
          h("td", { class: "hide-narrow" }, ms(t.ended_ms - t.queued_ms)),
          h("td", { class: "hide-narrow" }, rate(t.tokens_per_second)),
        ),
      ),
      "no finished tasks yet",
    ),
  );
}

export function renderSessions(snapshot) {
  const left = (v, unit) => (v === undefined ? "∞" : `${v}${unit}`);
  fill(
    "sessions",
    table(
      [
        ["session"],
        ["turns"],
        ["tokens left"],
        ["time left", "hide-narrow"],
        ["expires in"],
        ["KV"],
      ],
      snapshot.sessions.map((s) =>
        h(
          "tr",
          {},
          h("td", { class: "id", title: s.session_id }, shortId(s.session_id)),
          h("td", {}, `${s.turns} / ${s.max_turns}`),
          h("td", {}, left(s.tokens_budget_remaining, "")),
          h("td", { class: "hide-narrow" }, left(s.time_budget_remaining_ms, " ms")),
          h("td", {}, ms(s.ttl_ms_remaining)),
          h("td", {}, s.kv_warmth ? `warm on ${s.pool_id}` : "cold"),
        ),
      ),
      "no sessions",
    ),
  );
}
