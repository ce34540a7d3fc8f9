// Live scan log (the last codes) and, for simulated scanners, a way to scan by typing.
import { api } from "../lib/api.js";
import { h, time } from "../lib/dom.js";

const KEEP = 50;

export function mount(root, ctx) {
  const select = h("select", { "aria-label": "scanner" });
  const code = h("input", { placeholder: "code to scan", required: true, autocomplete: "off" });
  const error = h("span", { className: "error" });
  const form = h("form", { className: "inline", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api(`/api/v1/scanners/${encodeURIComponent(select.value)}/scans`, { method: "POST", body: { code: code.value } });
      code.value = "";
    } catch (e) {
      error.textContent = e.message;
    }
  } }, select, code, h("button", { type: "submit" }, "Simulate scan"), error);
  const log = h("ol", { className: "scans", reversed: true });
  root.append(form, log);

  ctx.onDevicesChanged((devices) => {
    const simulated = devices.filter((d) => d.kind === "scanner" && d.driver.startsWith("simulated"));
    form.hidden = simulated.length === 0;
    select.replaceChildren(...simulated.map((d) => h("option", { value: d.id }, d.id)));
  });

  ctx.events.on("scan", (scan, frame) => {
    const product = scan.product ? ` → ${scan.product.name ?? scan.product.sku ?? "product"}` : "";
    log.prepend(h("li", { dataset: { device: scan.device } },
      h("time", {}, time(frame.time)), " ", h("b", {}, scan.device), " ",
      h("code", { className: "code" }, scan.code), scan.symbology ? ` (${scan.symbology})` : "", product));
    while (log.children.length > KEEP) log.lastElementChild.remove();
  });
}
