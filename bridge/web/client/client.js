// tillbridge JS client: the till's printers, drawers and scanners for a browser POS.
//
//   import { connect } from "http://127.0.0.1:7357/client.js";
//   const till = await connect({ token });
//   till.onScan((scan) => addLine(scan.code, scan.product));
//   const job = await till.print("receipt", { blocks: [{ text: "Thank you" }, { cut: "full" }] });
//
// The POS origin must be in the till's server.allowed_origins. This file holds no secrets.

const DEFAULT_BASE = "http://127.0.0.1:7357";
const TOPICS = ["scan", "device", "job", "drawer", "sync"];
const FINISHED = new Set(["done", "failed", "cancelled"]);

/** Any error from the API: `code` is stable, `message` is for people, `status` the HTTP status. */
export class TillbridgeError extends Error {
  constructor(message, { code = "unknown", status = 0, details = {} } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}
/** The till could not be reached (daemon stopped, origin not allowlisted, network blocked). */
export class NetworkError extends TillbridgeError {}
/** 401: no token, or it is unknown, revoked or expired: pair again. */
export class AuthError extends TillbridgeError {}
/** 403: this token's role, or this page's origin, may not do that. */
export class ForbiddenError extends TillbridgeError {}
/** 404: no such device, job, product or route. */
export class NotFoundError extends TillbridgeError {}
/** 409: conflicts with the current state (e.g. cancelling a finished job). */
export class ConflictError extends TillbridgeError {}
/** 400, 413, 422: the request was malformed or the wrong shape; `details` says where. */
export class ValidationError extends TillbridgeError {}
/** 429: too many requests (drawer opens, pairing); `details.retry_after_s` says when to retry. */
export class RateLimitError extends TillbridgeError {}
/** 503: the device is offline, out of paper or otherwise not ready. */
export class DeviceUnavailableError extends TillbridgeError {}
/** A print job finished as failed or cancelled; `job` is its last state. */
export class PrintError extends TillbridgeError {
  constructor(job) {
    super(job.message || `print job ${job.state}${job.reason ? `: ${job.reason}` : ""}`, {
      code: `job.${job.state}`,
      details: { job },
    });
    this.job = job;
  }
}

const BY_STATUS = { 400: ValidationError, 401: AuthError, 403: ForbiddenError, 404: NotFoundError,
  409: ConflictError, 413: ValidationError, 422: ValidationError, 429: RateLimitError,
  503: DeviceUnavailableError };

function errorFor(status, body) {
  const error = body?.error ?? {};
  const Kind = BY_STATUS[status] ?? TillbridgeError;
  return new Kind(error.message ?? `HTTP ${status}`, { code: error.code ?? `http.${status}`, status, details: error.details ?? {} });
}

/** A random UUID, also on http:// POS pages where crypto.randomUUID is missing. */
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Trade a one-time pairing code (shown on the technician page) for a cashier token. */
export async function pair(code, name, { baseUrl = DEFAULT_BASE } = {}) {
  const body = await request(baseUrl, null, "POST", "/api/v1/pairing", { code, name });
  return body.token;
}

async function request(baseUrl, token, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers }, targetAddressSpace: "loopback", cache: "no-store" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(baseUrl + path, init);
  } catch (cause) {
    throw new NetworkError(`cannot reach tillbridge at ${baseUrl}: ${cause.message}`, { code: "network" });
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) throw errorFor(response.status, parsed);
  return parsed;
}

/** Connect to the till; resolves once the events socket is authenticated. */
export async function connect({ token, baseUrl = DEFAULT_BASE, topics = TOPICS } = {}) {
  if (!token) throw new AuthError("connect() needs a token (pair first)", { code: "auth.missing_token", status: 401 });
  const till = new Till(baseUrl.replace(/\/$/, ""), token, topics);
  await till._start();
  return till;
}

class Till {
  constructor(baseUrl, token, topics) {
    this.baseUrl = baseUrl;
    this.token = token;
    this.topics = topics;
    this.role = null;
    this.connected = false;
    this._handlers = { scan: new Set(), device: new Set(), job: new Set(), drawer: new Set(), sync: new Set(), connection: new Set(), gap: new Set() };
    this._jobWaiters = new Map();
    this._lastSeq = null;
    this._stream = null;
    this._attempt = 0;
    this._closed = false;
    this._socket = null;
    this._retryTimer = null;
    this._started = false; // the first connection came up: later drops are retried
  }

  /** Call the API directly: `till.api("GET", "/api/v1/devices")`. */
  api(method, path, body, headers) {
    return request(this.baseUrl, this.token, method, path, body, headers);
  }

  async devices() {
    return (await this.api("GET", "/api/v1/devices")).devices;
  }

  /** Print a receipt ({blocks: [...]}) and resolve with the finished job; rejects with PrintError. */
  async print(printer, receipt, { idempotencyKey = uuid(), onUpdate, timeoutMs = 120000 } = {}) {
    const path = `/api/v1/printers/${encodeURIComponent(printer)}/jobs`;
    const { job } = await this.api("POST", path, { receipt }, { "Idempotency-Key": idempotencyKey });
    return this.waitForJob(job, { onUpdate, timeoutMs });
  }

  /** Follow a job (by events, with a slow poll as a safety net) until done, failed or cancelled. */
  waitForJob(job, { onUpdate, timeoutMs = 120000 } = {}) {
    return new Promise((resolve, reject) => {
      let finished = false;
      const settle = (latest) => {
        onUpdate?.(latest);
        if (finished || !FINISHED.has(latest.state)) return;
        finished = true;
        clearInterval(poll);
        clearTimeout(timer);
        this._jobWaiters.delete(job.id);
        latest.state === "done" ? resolve(latest) : reject(new PrintError(latest));
      };
      this._jobWaiters.set(job.id, settle);
      const poll = setInterval(() => {
        this.api("GET", `/api/v1/jobs/${encodeURIComponent(job.id)}`).then((b) => settle(b.job), () => {});
      }, 2000);
      const timer = setTimeout(() => {
        finished = true;
        clearInterval(poll);
        this._jobWaiters.delete(job.id);
        reject(new TillbridgeError(`job ${job.id} not finished after ${timeoutMs} ms`, { code: "job.timeout", details: { job } }));
      }, timeoutMs);
      settle(job);
    });
  }

  /** Open a cash drawer: `openDrawer({reason: "sale", documentId})`; the first drawer unless `drawer` is given. */
  async openDrawer({ drawer, reason = "sale", documentId } = {}) {
    const id = drawer ?? (await this.devices()).find((d) => d.kind === "drawer")?.id;
    if (!id) throw new NotFoundError("this till has no cash drawer configured", { code: "drawer.not_found", status: 404 });
    const body = { reason };
    if (documentId) body.document_id = documentId;
    return this.api("POST", `/api/v1/drawers/${encodeURIComponent(id)}/open`, body);
  }

  /** The product with this barcode in the till's catalog, or null. */
  async lookup(barcode) {
    try {
      return await this.api("GET", `/api/v1/products/by-barcode/${encodeURIComponent(barcode)}`);
    } catch (error) {
      if (error instanceof NotFoundError && error.code !== "not_found") return null;
      throw error;
    }
  }

  /** Record a document (a sale, refund, ...) durably; a repeat with the same id is harmless. */
  record(document) {
    return this.api("POST", "/api/v1/documents", { id: uuid(), ...document });
  }

  /** Each returns a function that stops the listening. */
  onScan(fn) { return this._on("scan", fn); }
  onDevice(fn) { return this._on("device", fn); }
  onJob(fn) { return this._on("job", fn); }
  onDrawer(fn) { return this._on("drawer", fn); }
  onSync(fn) { return this._on("sync", fn); }
  /** fn(true|false) when the events socket comes up or goes down. */
  onConnection(fn) { return this._on("connection", fn); }
  /** fn({kind: "gap"|"reset", ...}) when events were missed: refresh what you show. */
  onGap(fn) { return this._on("gap", fn); }

  close() {
    this._closed = true;
    clearTimeout(this._retryTimer);
    this._socket?.close(1000, "closed by the page");
  }

  _on(kind, fn) {
    this._handlers[kind].add(fn);
    return () => this._handlers[kind].delete(fn);
  }

  _emit(kind, value) {
    for (const fn of this._handlers[kind]) {
      try {
        fn(value);
      } catch (error) {
        console.error("tillbridge handler failed", error);
      }
    }
  }

  _start() {
    return new Promise((resolve, reject) => this._open(resolve, reject));
  }

  _open(resolve, reject) {
    const ws = new WebSocket(`${this.baseUrl.replace(/^http/, "ws")}/api/v1/events`);
    this._socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (message) => this._frame(ws, JSON.parse(message.data), resolve, reject);
    ws.onclose = (event) => {
      if (this.connected) this._emit("connection", false);
      this.connected = false;
      if (event.code === 4401) {
        // The token is unknown, revoked or expired: retrying cannot help; pair again.
        this._closed = true;
        reject?.(new AuthError(event.reason || "the till refused this token", { code: event.reason || "auth.invalid_token", status: 401 }));
        return;
      }
      if (!this._started) {
        this._closed = true;
        reject?.(new NetworkError(`cannot open the events socket at ${this.baseUrl}`, { code: "network" }));
        return;
      }
      if (!this._closed) this._retry();
    };
  }

  _retry() {
    this._attempt += 1;
    const delay = Math.min(10000, 250 * 2 ** Math.min(this._attempt, 6)) * (0.75 + Math.random() / 2);
    this._retryTimer = setTimeout(() => this._open(null, null), delay);
  }

  _frame(ws, frame, resolve, reject) {
    if (frame.type === "welcome") {
      this.role = frame.role;
      const subscribe = { type: "subscribe", topics: this.topics };
      if (this._lastSeq !== null) {
        subscribe.since = this._lastSeq;
        subscribe.stream = this._stream;
      }
      ws.send(JSON.stringify(subscribe));
    } else if (frame.type === "subscribed") {
      if (this._lastSeq === null) this._lastSeq = frame.last_seq;
      this._stream = frame.stream;
      this._attempt = 0;
      this._started = true;
      this.connected = true;
      this._emit("connection", true);
      resolve?.(this);
    } else if (frame.type === "reset" || frame.type === "gap") {
      if (frame.type === "reset") this._lastSeq = null;
      this._stream = frame.stream ?? this._stream;
      this._emit("gap", { kind: frame.type, ...frame });
      for (const [id, settle] of this._jobWaiters) {
        this.api("GET", `/api/v1/jobs/${encodeURIComponent(id)}`).then((b) => settle(b.job), () => {});
      }
    } else if (frame.type === "error") {
      if (!this.connected) reject?.(errorFor(401, frame));
    } else if (typeof frame.seq === "number") {
      this._lastSeq = frame.seq;
      if (frame.topic === "job" && frame.data?.job) this._jobWaiters.get(frame.data.job.id)?.(frame.data.job);
      if (this._handlers[frame.topic]) this._emit(frame.topic, { ...frame.data, seq: frame.seq, time: frame.time });
    }
  }
}
