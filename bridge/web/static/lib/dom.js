// DOM helpers. Text only ever goes in through textContent / text nodes: device-reported and scanned
// strings can hold markup, and must show as the characters they are (security.md item 14).

/** h("td", {className: "x", onclick: fn}, "text", childNode) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "className") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

/** Replace a section's body with the API's "not in this build" answer. */
export function notAvailable(el, what) {
  el.replaceChildren(h("p", { className: "unavailable" }, `${what}: not available in this build.`));
}

export function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d`;
}

/** A key/value list from an object, values as text. */
export function facts(entries) {
  return h("dl", { className: "facts" }, ...entries.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

/** A table from rows of plain values (objects); columns are keys, headed by the key made readable. */
export function table(columns, rows, extra) {
  const label = (key) => key.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
  return h("table", {},
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", {}, label(c))), extra ? h("th", {}) : null)),
    h("tbody", {}, ...rows.map((row) => h("tr", {}, ...columns.map((c) => h("td", {}, format(row[c]))), extra ? h("td", {}, extra(row)) : null))));
}

function format(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** A button that asks "Sure?" inline before running action (no blocking confirm() dialogs). */
export function confirmButton(label, question, action) {
  const wrap = h("span", { className: "confirm" });
  const ask = h("button", { type: "button", onclick: () => wrap.replaceChildren(h("span", {}, question), yes, no) }, label);
  const reset = () => wrap.replaceChildren(ask);
  const yes = h("button", { type: "button", className: "danger", onclick: async () => { reset(); await action(); } }, "Yes");
  const no = h("button", { type: "button", onclick: reset }, "No");
  reset();
  return wrap;
}
