// Sync with the cloud: what is pending, last success and error each way, and "sync now".
import { api, isMissingRoute } from "../lib/api.js";
import { duration, facts, h, notAvailable, table, time } from "../lib/dom.js";

const LABELS = [
  ["enabled", "Sync", (v) => (v ? "on" : "off: no [cloud] url in the config")],
  ["push_state", "Upload", (v) => v],
  ["pull_state", "Download", (v) => v],
  ["pending", "Documents waiting to go up", (v) => v],
  ["oldest_pending_age_s", "Oldest waiting for", duration],
  ["last_push_ok", "Last upload OK", time],
  ["last_pull_ok", "Last download OK", time],
  ["last_push_error", "Last upload error", (v) => v],
  ["last_pull_error", "Last download error", (v) => v],
  ["last_error", "Last error", (v) => v],
  ["quarantined", "Quarantined documents", (v) => (Array.isArray(v) ? v.length : v)],
  ["config_version", "Config version", (v) => v],
  ["config_applied_at", "Config applied", time],
  ["cursor", "Download cursor", (v) => v],
  ["last_reconciliation", "Last full reconciliation", time],
  ["next_retry_s", "Next retry in", duration],
];

export function mount(root, ctx) {
  const body = h("div", {});
  const note = h("p", { className: "muted", dataset: { role: "sync-note" } });
  const button = h("button", { type: "button", onclick: syncNow }, "Sync now");
  root.append(body, h("div", { className: "actions" }, button), note);

  async function refresh() {
    try {
      const state = await api("/api/v1/sync");
      const known = LABELS.filter(([key]) => key in state).map(([key, label, fmt]) => [label, state[key] === null ? "—" : String(fmt(state[key]))]);
      const alert = state.alert ? h("p", { className: "error", dataset: { role: "sync-alert" } }, `${state.alert.message} (${state.alert.code}, since ${time(state.alert.since)})`) : null;
      const quarantined = state.quarantined?.length
        ? [h("h3", {}, "Quarantined (check them in the backoffice)"), table(Object.keys(state.quarantined[0]), state.quarantined)]
        : [];
      body.replaceChildren(...[alert, facts(known), ...quarantined].filter(Boolean));
    } catch (error) {
      if (isMissingRoute(error)) {
        button.hidden = true;
        return notAvailable(body, "Sync");
      }
      body.replaceChildren(h("p", { className: "error" }, error.message));
    }
  }

  async function syncNow() {
    note.textContent = "Syncing…";
    try {
      await api("/api/v1/sync/run", { method: "POST" });
      note.textContent = `Sync started at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      note.textContent = isMissingRoute(error) ? "Sync now: not available in this build." : error.message;
    }
    refresh();
  }

  ctx.events.on("sync", () => refresh());
  ctx.onResync(refresh);
  return refresh();
}
