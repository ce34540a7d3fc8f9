// Technician page: token from the login link's fragment into sessionStorage (never a cookie),
// then devices and events over the API. Device-reported strings only ever go through textContent.
const KEY = "tillbridge.token";
const $ = (sel) => document.querySelector(sel);

function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token) {
    sessionStorage.setItem(KEY, token);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem(KEY);
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${sessionStorage.getItem(KEY)}`, "Content-Type": "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error?.message ?? response.statusText), { status: response.status });
  return body;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function describe(device) {
  if (device.error) return `${device.error.message} (${device.error.code})`;
  return Object.entries(device.status ?? {}).map(([k, v]) => `${k}: ${v}`).join(", ");
}

function renderDevices(devices) {
  const body = $("#devices tbody");
  body.replaceChildren(...devices.map((d) => {
    const tr = document.createElement("tr");
    tr.dataset.device = d.id;
    tr.append(cell(d.id), cell(d.kind), cell(d.driver), cell(d.state, `state-${d.state}`), cell(describe(d)));
    return tr;
  }));
  const select = $("#scan-device");
  select.replaceChildren(...devices.filter((d) => d.kind === "scanner").map((d) => {
    const option = document.createElement("option");
    option.value = d.id;
    option.textContent = d.id;
    return option;
  }));
}

async function refresh() {
  renderDevices((await api("/api/v1/devices")).devices);
}

function listen() {
  const ws = new WebSocket(`ws://${location.host}/api/v1/events`);
  let lastSeq = null;
  ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: sessionStorage.getItem(KEY) }));
  ws.onmessage = (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === "welcome") {
      $("#conn").textContent = "live";
      $("#conn").classList.add("live");
      ws.send(JSON.stringify({ type: "subscribe", topics: ["device", "scan"], since: lastSeq ?? undefined }));
    } else if (frame.seq) {
      lastSeq = frame.seq;
      if (frame.topic === "device") refresh();
      if (frame.topic === "scan") {
        const li = document.createElement("li");
        li.textContent = `${frame.time} ${frame.data.device}: ${frame.data.code}`;
        $("#scans").prepend(li);
      }
    }
  };
  ws.onclose = () => {
    $("#conn").textContent = "reconnecting…";
    $("#conn").classList.remove("live");
    setTimeout(listen, 2000);
  };
}

async function start() {
  if (!takeTokenFromFragment()) {
    $("#login").hidden = false;
    return;
  }
  try {
    await refresh();
  } catch (error) {
    sessionStorage.removeItem(KEY);
    $("#login").hidden = false;
    $("#login-error").textContent = error.message;
    return;
  }
  $("#panel").hidden = false;
  listen();
}

$("#login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("#token").value.trim());
  $("#login").hidden = true;
  start();
});

$("#scan-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const device = $("#scan-device").value;
  await api(`/api/v1/scanners/${encodeURIComponent(device)}/scans`, {
    method: "POST",
    body: JSON.stringify({ code: $("#scan-code").value }),
  }).catch((error) => alert(error.message));
  $("#scan-code").value = "";
});

start();
