// Building DOM nodes without innerHTML (no server text is ever parsed as HTML), and formatting.

/** h("td", { class: "id" }, "text", child): an element; null/false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

export function table(headers, rows, empty) {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  const head = h(
    "tr",
    {},
    headers.map(([label, cls]) => h("th", { class: cls }, label)),
  );
  return h("div", { class: "scroll" }, h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
}

export function meter(used, total, label) {
  const share = total > 0 ? Math.min(1, used / total) : 0;
  return h(
    "div",
    {
      class: "meter",
      role: "meter",
      "aria-label": label,
      "aria-valuenow": Math.round(share * 100),
    },
    h("span", { style: `width:${(share * 100).toFixed(1)}%` }),
  );
}

/** An SVG line of the last values (0..max), for GPU history. */
export function sparkline(values, max, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 28");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-label", label);
  const line = document.createElementNS(ns, "polyline");
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(27 - (Math.min(v, max) / max) * 26).toFixed(1)}`,
  );
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  return svg;
}

export function ms(value) {
  if (!Number.isFinite(value)) return "—";
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60_000)} m ${Math.round((value % 60_000) / 1000)} s`;
}

export function bytes(value) {
  if (!Number.isFinite(value)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = value;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function rate(value) {
  return Number.isFinite(value) && value > 0 ? `${value.toFixed(value < 10 ? 1 : 0)} tok/s` : "—";
}

export function shortId(id) {
  return id.length > 8 ? id.slice(0, 8) : id;
}
