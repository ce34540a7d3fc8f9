// The print queue per printer: state of each job, reprint of failed ones, cancel of waiting ones.
import { api, isMissingRoute } from "../lib/api.js";
import { h, notAvailable, time } from "../lib/dom.js";

export function mount(root, ctx) {
  const select = h("select", { "aria-label": "printer", onchange: () => refresh() });
  const body = h("div", {});
  const message = h("p", { className: "error" });
  root.append(h("div", { className: "inline" }, h("label", {}, "Printer ", select)), message, body);
  let timer = null;

  ctx.onDevicesChanged((devices) => {
    const printers = devices.filter((d) => d.kind === "printer").map((d) => d.id);
    const current = select.value;
    if (printers.join() === [...select.options].map((o) => o.value).join()) return;
    select.replaceChildren(...printers.map((id) => h("option", { value: id }, id)));
    if (printers.includes(current)) select.value = current;
    refresh();
  });

  async function refresh() {
    if (!select.value) return body.replaceChildren(h("p", { className: "muted" }, "No printers configured."));
    try {
      const { jobs } = await api(`/api/v1/printers/${encodeURIComponent(select.value)}/jobs`);
      body.replaceChildren(render(jobs));
    } catch (error) {
      if (isMissingRoute(error)) return notAvailable(body, "The print queue");
      body.replaceChildren(h("p", { className: "error" }, error.message));
    }
  }

  function render(jobs) {
    if (!jobs.length) return h("p", { className: "muted" }, "No jobs yet.");
    return h("table", { className: "jobs" },
      h("thead", {}, h("tr", {}, ...["Job", "Kind", "State", "Why", "Tries", "Created", ""].map((c) => h("th", {}, c)))),
      h("tbody", {}, ...jobs.map((job) => h("tr", { dataset: { job: job.id } },
        h("td", {}, job.id), h("td", {}, job.kind), h("td", { className: `job-${job.state}` }, job.state),
        h("td", {}, [job.reason, job.message].filter(Boolean).join(": ")), h("td", {}, job.attempts),
        h("td", {}, time(job.created_at)), h("td", {}, ...buttons(job))))));
  }

  function buttons(job) {
    const out = [];
    if (job.state === "failed") out.push(action("Reprint", `/api/v1/jobs/${job.id}/reprint`));
    if (job.state === "queued" || job.state === "waiting") out.push(action("Cancel", `/api/v1/jobs/${job.id}/cancel`));
    return out;
  }

  function action(label, path) {
    return h("button", { type: "button", onclick: async () => {
      message.textContent = "";
      try { await api(path, { method: "POST" }); } catch (error) { message.textContent = error.message; }
      refresh();
    } }, label);
  }

  ctx.events.on("job", (data) => {
    if (data.job?.printer !== select.value) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  ctx.onResync(refresh);
}
