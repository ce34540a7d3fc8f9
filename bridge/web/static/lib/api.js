// Fetch wrapper for the technician page: bearer token from sessionStorage (never a cookie).
const KEY = "tillbridge.token";

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? `http.${status}`;
    this.details = body?.error?.details ?? {};
  }
}

/** A 404 from the router itself: this build has no such route (not "no such device"). */
export const isMissingRoute = (error) => error instanceof ApiError && error.status === 404 && error.code === "not_found";

export async function api(path, { method = "GET", body, raw, headers = {}, blob = false } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store" };
  if (session.token) init.headers.Authorization = `Bearer ${session.token}`;
  if (raw !== undefined) {
    init.body = raw;
    init.headers["Content-Type"] ??= "application/octet-stream";
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (blob && response.ok) return response.blob();
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("tillbridge:logged-out", { detail: error }));
    throw error;
  }
  return parsed;
}
