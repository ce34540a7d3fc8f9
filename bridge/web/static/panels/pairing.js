// Pairing a POS (a one-time code, shown and printed) and the list of tokens with revoke.
import { api } from "../lib/api.js";
import { confirmButton, h, table, time } from "../lib/dom.js";

export function mount(root, ctx) {
  const code = h("p", { className: "pairing-code", dataset: { role: "pairing-code" } });
  const note = h("p", { className: "muted" });
  const printer = h("select", { "aria-label": "printer for the code" });
  const printButton = h("button", { type: "button", disabled: true, onclick: printCode }, "Print code");
  let current = null;
  const tokens = h("div", {});
  root.append(
    h("h3", {}, "Pair a POS"),
    h("p", {}, "Make a code, then type it into the POS (it is valid once, for a few minutes)."),
    h("div", { className: "actions" }, h("button", { type: "button", onclick: newCode }, "New pairing code"), printer, printButton),
    code, note,
    h("h3", {}, "Tokens"), tokens);

  ctx.onDevicesChanged((devices) => {
    printer.replaceChildren(...devices.filter((d) => d.kind === "printer").map((d) => h("option", { value: d.id }, d.id)));
  });

  async function newCode() {
    try {
      current = await api("/api/v1/pairing/codes", { method: "POST" });
      code.textContent = current.code.replace(/(\d{4})(\d{4})/, "$1 $2");
      const until = new Date(Date.now() + current.expires_in_s * 1000);
      note.textContent = `Valid until ${until.toLocaleTimeString()}, once.`;
      printButton.disabled = !printer.value;
    } catch (error) {
      note.textContent = error.message;
    }
  }

  async function printCode() {
    if (!current || !printer.value) return;
    const receipt = { blocks: [
      { text: "POS pairing code", align: "center", bold: true },
      { text: current.code, align: "center", size: "double" },
      { text: `valid for ${Math.round(current.expires_in_s / 60)} min, once`, align: "center" },
      { feed: 2 }, { cut: "partial" }] };
    try {
      const { job } = await api(`/api/v1/printers/${encodeURIComponent(printer.value)}/jobs`, { method: "POST", body: { receipt } });
      note.textContent = `Printing (job ${job.id}, ${job.state}).`;
    } catch (error) {
      note.textContent = error.status === 404 && error.code === "not_found" ? "Printing: not available in this build." : error.message;
    }
  }

  async function refreshTokens() {
    const { tokens: list } = await api("/api/v1/tokens");
    const rows = list.filter((t) => t.active).map((t) => ({ ...t, created_at: time(t.created_at), expires_at: t.expires_at ? time(t.expires_at) : "never" }));
    tokens.replaceChildren(table(["id", "name", "role", "source", "created_at", "expires_at"], rows, (t) =>
      confirmButton("Revoke", `Revoke ${t.name}?`, async () => {
        try { await api(`/api/v1/tokens/${encodeURIComponent(t.id)}`, { method: "DELETE" }); } catch (error) { note.textContent = error.message; }
        refreshTokens();
      })));
  }

  ctx.onResync(refreshTokens);
  return refreshTokens();
}
