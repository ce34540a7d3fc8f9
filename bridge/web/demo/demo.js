// A small till built only on tillbridge's /client.js: the example a POS developer copies.
// Scan (or type) a barcode, add lines, take cash, record the sale, print the receipt, open the drawer.
const params = new URLSearchParams(location.search);
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];
const BASE = params.get("bridge") ?? (LOOPBACK.includes(location.hostname) ? location.origin : "http://127.0.0.1:7357");
const TOKEN_KEY = "tillbridge.demo.token";
const $ = (selector) => document.querySelector(selector);

const { connect, pair, uuid, AuthError, PrintError } = await import(`${BASE}/client.js`);

const sale = { id: uuid(), lines: [], currency: null };
let till = null;

function show(section) {
  $("#pairing").hidden = section !== "pairing";
  $("#till").hidden = section !== "till";
}

function say(text, error = false) {
  $("#message").textContent = text;
  $("#message").className = error ? "message error" : "message";
}

// Money in minor units (integers), so 0.1 + 0.2 is never 0.30000000000000004.
const digits = (currency) => new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
const toMinor = (text, currency) => Math.round(Number(text) * 10 ** digits(currency));
const toText = (minor, currency) => (minor / 10 ** digits(currency)).toFixed(digits(currency));
const total = () => sale.lines.reduce((sum, line) => sum + line.quantity * line.unitMinor, 0);

function render() {
  const c = sale.currency ?? "EUR";
  $("#lines tbody").replaceChildren(...sale.lines.map((line) => {
    const tr = document.createElement("tr");
    for (const text of [line.name, String(line.quantity), toText(line.unitMinor, c), toText(line.quantity * line.unitMinor, c)]) {
      const td = document.createElement("td");
      td.textContent = text; // product names come from the catalog: text, never markup
      tr.append(td);
    }
    return tr;
  }));
  $("#total").textContent = `${toText(total(), c)} ${sale.currency ?? ""}`;
}

async function add(code) {
  const product = await till.lookup(code);
  if (!product) return say(`Unknown barcode ${code}`, true);
  if (sale.currency && product.currency !== sale.currency) return say(`${product.name} is priced in ${product.currency}`, true);
  sale.currency = product.currency;
  const line = sale.lines.find((l) => l.sku === product.sku);
  if (line) line.quantity += 1;
  else sale.lines.push({ sku: product.sku, name: product.name, quantity: 1, unitMinor: toMinor(product.price, product.currency) });
  say(`Added ${product.name}`);
  render();
}

function receipt(document, change) {
  const c = sale.currency;
  return { blocks: [
    { text: "DEMO SHOP", align: "center", bold: true, size: "double" },
    { rule: "-" },
    ...sale.lines.map((l) => ({ row: [`${l.quantity} × ${l.name}`, toText(l.quantity * l.unitMinor, c)] })),
    { rule: "-" },
    { row: ["TOTAL", `${toText(total(), c)} ${c}`] },
    { row: ["Cash", `${toText(total() + change, c)} ${c}`] },
    { row: ["Change", `${toText(change, c)} ${c}`] },
    { qr: document.id, size: 4 },
    { text: "Thank you", align: "center" },
    { cut: "partial" },
  ] };
}

async function pay(event) {
  event.preventDefault();
  if (!sale.lines.length) return say("Scan something first.", true);
  const c = sale.currency;
  const given = $("#cash").value ? toMinor($("#cash").value.replace(",", "."), c) : total();
  if (!(given >= total())) return say("Not enough cash.", true);
  const change = given - total();
  $("#pay").disabled = true;
  try {
    say("Recording the sale…");
    const recorded = await till.record({
      id: sale.id, type: "sale", currency: c,
      lines: sale.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: String(l.quantity), unit_price: toText(l.unitMinor, c), total: toText(l.quantity * l.unitMinor, c) })),
      total: toText(total(), c),
      payments: [{ method: "cash", amount: toText(total(), c) }],
    });
    const printer = (await till.devices()).find((d) => d.kind === "printer");
    if (printer) {
      say("Printing the receipt…");
      // The sale id as the idempotency key: pressing the button twice never prints twice.
      const job = await till.print(printer.id, receipt(recorded.document, change), {
        idempotencyKey: `receipt-${sale.id}`,
        onUpdate: (j) => { if (j.state === "waiting") say(`Printer: ${j.message ?? j.reason} — the receipt prints when it is fixed.`, true); },
      });
      say(`Receipt printed (job ${job.id}).`);
    }
    await till.openDrawer({ reason: "sale", documentId: sale.id });
    $("#change").textContent = `Change: ${toText(change, c)} ${c}`;
    say(`Sale ${sale.id.slice(0, 8)} done; drawer open.`);
    document.body.dataset.saleDone = sale.id;
  } catch (error) {
    say(error instanceof PrintError ? `Receipt not printed: ${error.message}` : `${error.message} (${error.code})`, true);
  } finally {
    $("#pay").disabled = false;
  }
}

function newSale() {
  Object.assign(sale, { id: uuid(), lines: [], currency: null });
  $("#cash").value = "";
  $("#change").textContent = "";
  delete document.body.dataset.saleDone;
  say("");
  render();
}

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fragment) {
    localStorage.setItem(TOKEN_KEY, fragment);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return show("pairing");
  try {
    till = await connect({ token, baseUrl: BASE });
  } catch (error) {
    if (error instanceof AuthError) {
      localStorage.removeItem(TOKEN_KEY);
      return show("pairing");
    }
    $("#status").textContent = `cannot reach the till: ${error.message}`;
    return;
  }
  till.onConnection((up) => {
    $("#status").textContent = up ? "till connected" : "reconnecting…";
    $("#status").className = up ? "badge live" : "badge";
  });
  till.onScan((scan) => add(scan.code));
  $("#status").textContent = "till connected";
  $("#status").className = "badge live";
  show("till");
  render();
  document.body.dataset.ready = "true";
}

$("#pair-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    localStorage.setItem(TOKEN_KEY, await pair($("#pair-code").value.replace(/\s/g, ""), $("#pair-name").value, { baseUrl: BASE }));
    start();
  } catch (error) {
    $("#pair-error").textContent = `${error.message} (${error.code})`;
  }
});
$("#scan-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("#scan-code").value.trim();
  $("#scan-code").value = "";
  if (code) add(code).catch((error) => say(error.message, true));
});
$("#pay-form").addEventListener("submit", pay);
$("#clear").addEventListener("click", newSale);

start();
