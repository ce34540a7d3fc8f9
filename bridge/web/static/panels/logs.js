// The daemon's last log lines and the support bundle download.
import { api, isMissingRoute } from "../lib/api.js";
import { h, notAvailable } from "../lib/dom.js";

export function mount(root) {
  const lines = h("div", { className: "logs" });
  const note = h("span", { className: "muted" });
  root.append(h("div", { className: "actions" },
    h("button", { type: "button", onclick: refresh }, "Refresh"),
    h("button", { type: "button", onclick: bundle }, "Download support bundle"), note), lines);

  async function refresh() {
    try {
      const { lines: entries } = await api("/api/v1/logs?limit=200");
      lines.replaceChildren(...entries.reverse().map((e) => h("div", { className: `log log-${e.level}` },
        h("span", { className: "log-time" }, e.time.slice(11, 19)), " ", h("b", {}, e.level), " ", e.event, " ",
        h("span", { className: "muted" }, Object.entries(e.fields ?? {}).map(([k, v]) => `${k}=${v}`).join(" ")))));
      if (!entries.length) lines.replaceChildren(h("p", { className: "muted" }, "Nothing logged yet."));
    } catch (error) {
      if (isMissingRoute(error)) return notAvailable(lines, "Logs");
      lines.replaceChildren(h("p", { className: "error" }, error.message));
    }
  }

  async function bundle() {
    note.textContent = "Collecting…";
    try {
      const blob = await api("/api/v1/support-bundle", { blob: true });
      const link = h("a", { href: URL.createObjectURL(blob), download: `tillbridge-support-${new Date().toISOString().replace(/[:.]/g, "")}.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      note.textContent = "Support bundle downloaded (secrets masked).";
    } catch (error) {
      note.textContent = error.message;
    }
  }

  document.addEventListener("tillbridge:tab", (event) => { if (event.detail === "logs") refresh(); });
  return refresh();
}
