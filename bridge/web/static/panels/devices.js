// Devices: each one's state in words, and what a technician can do with it.
import { api, isMissingRoute } from "../lib/api.js";
import { confirmButton, duration, h, time } from "../lib/dom.js";

const PROBLEMS = ["paper out", "cover open", "offline", "not connected", "printer error", "drawer open for"];
const drawerOpenedAt = new Map(); // drawer id -> ms since epoch when we saw it open

/** The device's state as a technician would say it. */
export function describe(device, now = Date.now()) {
  const words = [];
  if (device.state === "disabled") return [`disabled: ${device.error?.message ?? "see the config"}`];
  if (device.state === "starting") return ["starting…"];
  if (device.state === "stopped") return ["stopped"];
  if (device.state === "retrying") {
    words.push(`offline since ${time(device.since)}`);
    if (device.error) words.push(device.error.message);
    if (device.retry_at) words.push(`next try ${time(device.retry_at)}`);
    return words;
  }
  const s = device.status ?? {};
  if (device.kind === "printer") {
    // A printer reports itself offline when out of paper or open: say why, not just "offline".
    if (s.connected === false) words.push("not connected");
    else if (s.online === false && !s.paper_out && !s.cover_open) words.push("offline");
    if (s.paper_out) words.push("paper out");
    else if (s.paper_near_end) words.push("paper nearly out");
    if (s.cover_open) words.push("cover open");
    if (s.unrecoverable_error || s.cutter_error) words.push("printer error (cutter or mechanism)");
  }
  const open = device.kind === "drawer" ? s.open : s.drawer_open;
  if (device.kind === "drawer" && open === true) {
    if (!drawerOpenedAt.has(device.id)) drawerOpenedAt.set(device.id, now);
    words.push(`drawer open for ${duration((now - drawerOpenedAt.get(device.id)) / 1000)}`);
  } else if (device.kind === "drawer") {
    drawerOpenedAt.delete(device.id);
    if (open === false) words.push("drawer closed");
  }
  if (!words.length || (device.kind === "drawer" && open === false)) words.unshift("ready");
  return words;
}

export function mount(root, ctx) {
  const list = h("div", { className: "device-list" });
  root.append(list);
  let devices = [];

  async function refresh() {
    devices = (await api("/api/v1/devices")).devices;
    // How long an open drawer has been open: the daemon knows it even if this page was not open.
    await Promise.allSettled(devices.filter((d) => d.kind === "drawer" && d.status?.open).map(async (d) => {
      const state = await api(`/api/v1/drawers/${encodeURIComponent(d.id)}`);
      if (state.open_for_s !== null && state.open_for_s !== undefined) drawerOpenedAt.set(d.id, Date.now() - state.open_for_s * 1000);
    }));
    ctx.setDevices(devices);
    render();
  }

  const cards = new Map(); // id -> {el, state, actions, out}

  function render() {
    list.replaceChildren(...devices.map((d) => card(d).el));
  }

  /** The device's card, built once and then updated in place (a shown test print stays). */
  function card(d) {
    let c = cards.get(d.id);
    if (!c) {
      c = { state: h("p", { dataset: { role: "state" } }), actions: h("div", { className: "actions" }), out: h("div", { className: "result" }) };
      c.title = h("h3", {});
      c.el = h("article", { className: "device", dataset: { device: d.id } }, c.title, c.state, c.actions, c.out);
      cards.set(d.id, c);
    }
    c.el.className = `device kind-${d.kind}`;
    c.title.replaceChildren(d.id, h("small", {}, ` ${d.kind ?? "?"} · ${d.driver}`));
    const words = describe(d);
    const problem = d.state === "online" && words.some((w) => PROBLEMS.some((p) => w.startsWith(p)));
    c.state.className = `state state-${problem ? "problem" : d.state}`;
    c.state.textContent = words.join(" · ");
    c.actions.replaceChildren(...actionsFor(d, c.out));
    return c;
  }

  function actionsFor(d, out) {
    const actions = [];
    const run = (label, fn) => h("button", { type: "button", onclick: () => act(out, fn) }, label);
    if (d.kind === "printer") {
      actions.push(run("Test print", async () => {
        const r = await api(`/api/v1/printers/${encodeURIComponent(d.id)}/test`, { method: "POST" });
        return h("div", {}, h("p", {}, `Job ${r.job.id}: ${r.job.state}. What was sent, decoded:`), h("pre", { className: "preview" }, r.preview));
      }));
      if (d.status?.simulated) {
        const out_ = !d.status.paper_out;
        actions.push(run(out_ ? "Take paper out" : "Put paper back", async () => {
          await api(`/api/v1/printers/${encodeURIComponent(d.id)}/condition`, { method: "POST", body: { paper_out: out_ } });
          return out_ ? "Paper taken out (simulated)." : "Paper back in (simulated).";
        }));
      }
    }
    if (d.kind === "drawer") {
      actions.push(confirmButton("Open drawer", "Open the cash drawer? (recorded in the audit log)", () => act(out, async () => {
        await api(`/api/v1/drawers/${encodeURIComponent(d.id)}/open`, { method: "POST", body: { reason: "no_sale" } });
        return "Drawer opened.";
      })));
    }
    if (d.state !== "disabled") {
      actions.push(run("Re-detect", async () => {
        const r = await api(`/api/v1/devices/${encodeURIComponent(d.id)}/redetect`, { method: "POST" });
        return `Retrying ${r.device} now (was ${r.state}).`;
      }));
    }
    return actions;
  }

  async function act(out, fn) {
    out.replaceChildren(h("p", { className: "muted" }, "…"));
    try {
      const result = await fn();
      out.replaceChildren(result instanceof Node ? result : h("p", {}, result));
    } catch (error) {
      const what = isMissingRoute(error) ? "Not available in this build." : `${error.message} (${error.code})`;
      out.replaceChildren(h("p", { className: "error" }, what));
    }
  }

  ctx.events.on("device", (data) => {
    if (data.event === "scan_discarded") return;
    const i = devices.findIndex((d) => d.id === data.device);
    if (i < 0) return void refresh();
    const { device: _id, event: _event, ...fields } = data;
    devices[i] = { ...devices[i], ...fields, id: data.device };
    ctx.setDevices(devices);
    card(devices[i]);
  });
  ctx.events.on("drawer", () => refresh());
  ctx.onResync(refresh);
  setInterval(() => { if (devices.some((d) => d.kind === "drawer")) render(); }, 15000);
  return refresh();
}
