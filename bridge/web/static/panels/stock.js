// Stock: import a count file (dry run first), the discrepancy report, and database backups.
import { api, isMissingRoute } from "../lib/api.js";
import { facts, h, notAvailable, table, time } from "../lib/dom.js";

export function mount(root) {
  const file = h("input", { type: "file", accept: ".csv,.xlsx,.xls,text/csv", required: true });
  const warehouse = h("input", { value: "main", size: 8, "aria-label": "warehouse" });
  const dryRun = h("input", { type: "checkbox", checked: true });
  const report = h("div", { className: "report" });
  const importForm = h("form", { className: "inline", onsubmit: async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const query = new URLSearchParams({ warehouse: warehouse.value, filename: chosen.name });
    if (dryRun.checked) query.set("dry_run", "1");
    report.replaceChildren(h("p", { className: "muted" }, "Importing…"));
    try {
      const result = await api(`/api/v1/stock/imports?${query}`, { method: "POST", raw: chosen });
      report.replaceChildren(h("p", {}, dryRun.checked ? "Dry run: nothing was changed." : "Imported."), renderReport(result.report));
    } catch (error) {
      report.replaceChildren(isMissingRoute(error) ? h("p", { className: "unavailable" }, "Stock import: not available in this build.") : h("p", { className: "error" }, error.message));
    }
  } }, file, h("label", {}, "Warehouse ", warehouse), h("label", {}, dryRun, " dry run"), h("button", { type: "submit" }, "Import"));

  const discrepancies = h("div", {});
  const backups = h("div", { dataset: { role: "backups" } });
  root.append(
    h("h3", {}, "Stock import"), importForm, report,
    h("h3", {}, "Discrepancies"), h("button", { type: "button", onclick: loadDiscrepancies }, "Show discrepancy report"), discrepancies,
    h("h3", {}, "Backups"), h("button", { type: "button", onclick: backUp }, "Back up now"), backups);

  async function loadDiscrepancies() {
    try {
      const r = await api("/api/v1/stock/discrepancies");
      discrepancies.replaceChildren(h("p", {}, `${r.skus_different} of ${r.skus_counted} counted SKUs differ.`),
        table(["sku", "name", "warehouse", "counted", "system", "difference", "counted_at"], r.rows));
    } catch (error) {
      if (isMissingRoute(error)) return notAvailable(discrepancies, "The discrepancy report");
      discrepancies.replaceChildren(h("p", { className: "error" }, error.message));
    }
  }

  async function loadBackups() {
    try {
      const r = await api("/api/v1/backups");
      backups.replaceChildren(r.backups.length ? table(["taken_at", "reason", "size", "path"], r.backups.map((b) => ({ ...b, taken_at: time(b.taken_at) }))) : h("p", { className: "muted" }, "No backups yet."));
    } catch (error) {
      if (isMissingRoute(error)) return notAvailable(backups, "Backups");
      backups.replaceChildren(h("p", { className: "error" }, error.message));
    }
  }

  async function backUp() {
    try {
      await api("/api/v1/backups", { method: "POST" });
    } catch (error) {
      backups.prepend(h("p", { className: "error" }, error.message));
      return;
    }
    loadBackups();
  }

  return loadBackups();
}

/** The import report as facts (its plain values) and tables (its lists of rows). */
function renderReport(r) {
  const plain = Object.entries(r).filter(([, v]) => v === null || typeof v !== "object");
  const lists = Object.entries(r).filter(([, v]) => Array.isArray(v) && v.length);
  return h("div", {}, facts(plain.map(([k, v]) => [k.replaceAll("_", " "), String(v)])),
    ...lists.map(([k, rows]) => h("details", {}, h("summary", {}, `${k.replaceAll("_", " ")} (${rows.length})`),
      typeof rows[0] === "object" ? table(Object.keys(rows[0]), rows.slice(0, 200)) : h("ul", {}, ...rows.slice(0, 200).map((x) => h("li", {}, String(x)))))));
}
