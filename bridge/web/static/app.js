// Technician page: log in (PIN, login link fragment or pasted token; kept in sessionStorage, never a
// cookie), then mount one module per panel, all fed live by the events WebSocket.
import { api, session } from "./lib/api.js";
import { EventStream } from "./lib/events.js";
import * as devices from "./panels/devices.js";
import * as jobs from "./panels/jobs.js";
import * as logs from "./panels/logs.js";
import * as pairing from "./panels/pairing.js";
import * as scans from "./panels/scans.js";
import * as stock from "./panels/stock.js";
import * as sync from "./panels/sync.js";

const $ = (selector) => document.querySelector(selector);

function takeTokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    session.set(token);
    history.replaceState(null, "", location.pathname);
  }
}

function showLogin(message = "") {
  $("#panel").hidden = true;
  $("#tabs").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#conn").textContent = "not logged in";
  $("#conn").className = "badge";
}

function context(events) {
  const deviceListeners = new Set();
  const resyncListeners = new Set();
  events.onStatus((status) => {
    if (status === "resync") resyncListeners.forEach((fn) => fn());
  });
  return {
    events,
    setDevices: (list) => deviceListeners.forEach((fn) => fn(list)),
    onDevicesChanged: (fn) => deviceListeners.add(fn),
    onResync: (fn) => resyncListeners.add(fn),
  };
}

let events = null;

async function start() {
  takeTokenFromFragment();
  if (!session.token) return showLogin();
  try {
    await api("/api/v1/tokens"); // a technician token, or not
  } catch (error) {
    session.clear();
    return showLogin(error.status === 403 ? "That token is not a technician token." : error.message);
  }
  $("#login").hidden = true;
  $("#panel").hidden = false;
  $("#tabs").hidden = false;
  $("#logout").hidden = false;
  events = new EventStream(["device", "scan", "job", "drawer", "sync"]);
  events.onStatus((status) => {
    if (status === "resync") return;
    $("#conn").textContent = status;
    $("#conn").className = `badge ${status}`;
  });
  const ctx = context(events);
  const panels = [
    [scans, "#scans"], [jobs, "#jobs"], [pairing, "#pairing"], [devices, "#devices"],
    [sync, "#sync"], [stock, "#stock"], [logs, "#logs"],
  ];
  // Panels render on their own; one failing (an API missing) must not stop the others.
  const mounting = panels.map(([panel, selector]) => panel.mount($(selector), ctx));
  events.start();
  await Promise.allSettled(mounting);
  document.body.dataset.ready = "true";
}

$("#tabs").addEventListener("click", (event) => {
  const tab = event.target.closest("button")?.dataset.tab;
  if (!tab) return;
  for (const button of $("#tabs").querySelectorAll("button")) button.classList.toggle("active", button.dataset.tab === tab);
  for (const section of document.querySelectorAll("[data-panel]")) section.hidden = section.dataset.panel !== tab;
  document.dispatchEvent(new CustomEvent("tillbridge:tab", { detail: tab }));
});

$("#pin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const result = await api("/api/v1/login", { method: "POST", body: { pin: $("#pin").value } });
    session.set(result.token);
    $("#pin").value = "";
    start();
  } catch (error) {
    $("#login-error").textContent = error.message;
  }
});

$("#token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  session.set($("#token").value.trim());
  $("#token").value = "";
  start();
});

$("#logout").addEventListener("click", async () => {
  try { await api("/api/v1/logout", { method: "POST" }); } catch { /* gone already */ }
  session.clear();
  location.reload();
});

window.addEventListener("tillbridge:logged-out", () => {
  events?.stop();
  session.clear();
  showLogin("Your session ended (expired or revoked); log in again.");
});

start();
