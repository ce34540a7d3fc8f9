// Type declarations for tillbridge's /client.js (an ES module served by the daemon on the till).

export type Align = "left" | "center" | "right";
export type Block =
  | { text: string; align?: Align; bold?: boolean; underline?: boolean; size?: "normal" | "wide" | "tall" | "double" }
  | { row: [string, string] }
  | { rule: string }
  | { qr: string; size?: number }
  | { barcode: string; symbology: "EAN13" | "EAN8" | "CODE128" | "CODE39" | "UPCA" | "ITF" }
  | { image: string }
  | { feed: number }
  | { cut: "full" | "partial" };

export interface Receipt {
  blocks: Block[];
}

export type JobState = "queued" | "printing" | "waiting" | "done" | "failed" | "cancelled";

export interface Job {
  id: string;
  printer: string;
  state: JobState;
  kind: "receipt" | "raw" | "test";
  /** Why it waits (paper_out, cover_open, offline, fault) or failed (uncertain, ...). */
  reason: string | null;
  message: string | null;
  attempts: number;
  bytes: number;
  reprint_of: string | null;
  created_at: string;
  updated_at: string;
}

export interface Device {
  id: string;
  kind: "printer" | "scanner" | "drawer" | null;
  driver: string;
  online: boolean;
  state: "starting" | "online" | "retrying" | "disabled" | "stopped";
  since: string;
  error: { code: string; message: string } | null;
  retry_at: string | null;
  status: Record<string, unknown>;
}

interface EventMeta {
  seq: number;
  time: string;
}

export interface ScanEvent extends EventMeta {
  device: string;
  code: string;
  symbology: string | null;
  product: Record<string, unknown> | null;
}

export type DeviceEvent = EventMeta & Partial<Device> & { device: string; event: string };
export type JobEvent = EventMeta & { job: Job };
export type DrawerEvent = EventMeta & { drawer: string; event: string; [key: string]: unknown };
export type SyncEvent = EventMeta & Record<string, unknown>;

export interface GapNotice {
  kind: "gap" | "reset";
  message: string;
  from?: number;
  to?: number;
  stream?: string;
}

export interface ConnectOptions {
  /** A cashier token from pairing (or a technician token). */
  token: string;
  /** Default "http://127.0.0.1:7357". */
  baseUrl?: string;
  /** Default all: ["scan", "device", "job", "drawer", "sync"]. */
  topics?: Array<"scan" | "device" | "job" | "drawer" | "sync">;
}

export interface PrintOptions {
  /** Sent as Idempotency-Key: a repeat with the same key never prints twice. Default: a new UUID. */
  idempotencyKey?: string;
  /** Called with every state the job goes through (e.g. "waiting" with reason "paper_out"). */
  onUpdate?: (job: Job) => void;
  /** Reject with code "job.timeout" after this long. Default 120000. */
  timeoutMs?: number;
}

export interface OpenDrawerOptions {
  /** Drawer id; default the first drawer in the device list. */
  drawer?: string;
  /** Default "sale". */
  reason?: string;
  /** The sale the drawer opens for (needed for "sale" and "refund"). */
  documentId?: string;
}

type Unsubscribe = () => void;

export interface Till {
  readonly baseUrl: string;
  readonly role: "cashier" | "technician" | null;
  readonly connected: boolean;
  api<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  devices(): Promise<Device[]>;
  /** Resolves with the finished job; rejects with PrintError when it fails or is cancelled. */
  print(printer: string, receipt: Receipt, options?: PrintOptions): Promise<Job>;
  waitForJob(job: Job, options?: Omit<PrintOptions, "idempotencyKey">): Promise<Job>;
  openDrawer(options?: OpenDrawerOptions): Promise<{ opened: boolean; drawer: string }>;
  /** The catalog product for this barcode, or null when unknown. */
  lookup(barcode: string): Promise<Record<string, unknown> | null>;
  /** Record a document ({type: "sale", ...}); an id is generated if none is given. */
  record(document: Record<string, unknown>): Promise<Record<string, unknown>>;
  onScan(fn: (scan: ScanEvent) => void): Unsubscribe;
  onDevice(fn: (event: DeviceEvent) => void): Unsubscribe;
  onJob(fn: (event: JobEvent) => void): Unsubscribe;
  onDrawer(fn: (event: DrawerEvent) => void): Unsubscribe;
  onSync(fn: (event: SyncEvent) => void): Unsubscribe;
  onConnection(fn: (up: boolean) => void): Unsubscribe;
  onGap(fn: (notice: GapNotice) => void): Unsubscribe;
  close(): void;
}

export function connect(options: ConnectOptions): Promise<Till>;
export function pair(code: string, name: string, options?: { baseUrl?: string }): Promise<string>;
export function uuid(): string;

export class TillbridgeError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
}
export class NetworkError extends TillbridgeError {}
export class AuthError extends TillbridgeError {}
export class ForbiddenError extends TillbridgeError {}
export class NotFoundError extends TillbridgeError {}
export class ConflictError extends TillbridgeError {}
export class ValidationError extends TillbridgeError {}
export class RateLimitError extends TillbridgeError {}
export class DeviceUnavailableError extends TillbridgeError {}
export class PrintError extends TillbridgeError {
  readonly job: Job;
}
