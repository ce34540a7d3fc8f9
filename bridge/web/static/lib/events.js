// The events WebSocket: auth frame, subscribe, resume by seq after a reconnect, backoff.
import { session } from "./api.js";

export class EventStream {
  constructor(topics) {
    this.topics = topics;
    this.handlers = new Map();
    this.statusHandlers = new Set();
    this.lastSeq = null;
    this.stream = null;
    this.attempt = 0;
    this.stopped = false;
  }

  on(topic, fn) {
    if (!this.handlers.has(topic)) this.handlers.set(topic, new Set());
    this.handlers.get(topic).add(fn);
  }

  /** fn("live" | "reconnecting" | "resync") — "resync": events were missed, reload everything. */
  onStatus(fn) { this.statusHandlers.add(fn); }

  start() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/events`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: session.token }));
    ws.onmessage = (message) => this.frame(ws, JSON.parse(message.data));
    ws.onclose = (event) => {
      this.status("reconnecting");
      if (this.stopped || event.code === 4401) return;
      this.attempt += 1;
      setTimeout(() => this.start(), Math.min(10000, 500 * 2 ** Math.min(this.attempt, 5)));
    };
  }

  stop() {
    this.stopped = true;
    this.ws?.close();
  }

  frame(ws, frame) {
    if (frame.type === "welcome") {
      const subscribe = { type: "subscribe", topics: this.topics };
      if (this.lastSeq !== null) Object.assign(subscribe, { since: this.lastSeq, stream: this.stream });
      ws.send(JSON.stringify(subscribe));
    } else if (frame.type === "subscribed") {
      if (this.lastSeq === null) this.lastSeq = frame.last_seq;
      this.stream = frame.stream;
      this.attempt = 0;
      this.status("live");
    } else if (frame.type === "gap" || frame.type === "reset") {
      if (frame.type === "reset") this.lastSeq = null;
      this.stream = frame.stream ?? this.stream;
      this.status("resync");
    } else if (typeof frame.seq === "number") {
      this.lastSeq = frame.seq;
      for (const fn of this.handlers.get(frame.topic) ?? []) fn(frame.data, frame);
    }
  }

  status(what) {
    for (const fn of this.statusHandlers) fn(what);
  }
}
