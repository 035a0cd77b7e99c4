// The room's real-time connection: WebSocket first, Server-Sent Events as the fallback.
// Reconnects with backoff and resumes from the last frame (stream + last_seq).
import { _, api, parseJson } from "./common.js";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const OPEN_TIMEOUT_MS = 5000; // a handshake stuck behind a proxy counts as a failed open
const PING_MS = 25000; // keeps idle proxies from closing the socket
const CLOSE_KICKED = 4403;
const CLOSE_NOT_FOUND = 4404;

export class LiveConnection {
  /**
   * onMessage(message) gets every server message (snapshot, frame, ack, error, mute, kick...);
   * onState(state, transport) gets "connecting" | "open" | "reconnecting" | "kicked" | "gone".
   * uncounted: a console or dashboard of the platform's people, not one of the room's viewers.
   */
  constructor(roomId, { onMessage, onState, transport = "websocket", uncounted = false }) {
    this.roomId = roomId;
    this.uncounted = uncounted;
    this.onMessage = onMessage;
    this.onState = onState;
    this.transport = transport === "sse" || !("WebSocket" in window) ? "sse" : "websocket";
    this.stream = null;
    this.seq = null;
    this.attempt = 0;
    this.socket = null;
    this.source = null;
    this.stopped = false;
    this.retryTimer = 0;
    this.pingTimer = 0;
  }

  start() {
    if (this.transport === "sse") this.openEventSource();
    else this.openSocket();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.socket) this.socket.close(1000);
    if (this.source) this.source.close();
  }

  get isOpen() {
    if (this.transport === "sse") return Boolean(this.source && this.source.readyState === EventSource.OPEN);
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  connectQuery() {
    const query = new URLSearchParams();
    if (this.uncounted) query.set("uncounted", "true");
    if (this.stream !== null && this.seq !== null) {
      query.set("last_seq", String(this.seq));
      query.set("stream", this.stream);
    }
    const text = query.toString();
    return text ? `?${text}` : "";
  }

  setState(state) {
    this.onState(state, this.transport);
  }

  openSocket() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/rooms/${this.roomId}${this.connectQuery()}`);
    let opened = false;
    this.setState(this.attempt ? "reconnecting" : "connecting");
    const openTimer = setTimeout(() => {
      if (!opened) socket.close();
    }, OPEN_TIMEOUT_MS);
    socket.onopen = () => {
      opened = true;
      clearTimeout(openTimer);
      this.socket = socket;
      this.attempt = 0;
      this.setState("open");
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.sendRaw({ type: "ping" }), PING_MS);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      clearTimeout(openTimer);
      clearInterval(this.pingTimer);
      if (this.socket === socket) this.socket = null;
      if (this.stopped) return;
      if (event.code === CLOSE_KICKED) {
        this.stopped = true;
        this.setState("kicked");
        return;
      }
      if (event.code === CLOSE_NOT_FOUND) {
        this.stopped = true;
        this.setState("gone");
        return;
      }
      if (!opened) {
        // WebSockets blocked on this network (or the server is away): switch to SSE.
        this.transport = "sse";
        this.openEventSource();
        return;
      }
      this.retry(() => this.openSocket());
    };
  }

  openEventSource() {
    const source = new EventSource(`/api/rooms/${this.roomId}/stream${this.connectQuery()}`, {
      withCredentials: true,
    });
    this.source = source;
    this.setState(this.attempt ? "reconnecting" : "connecting");
    source.onopen = () => {
      this.attempt = 0;
      this.setState("open");
    };
    source.onmessage = (event) => this.receive(event.data);
    source.onerror = () => {
      if (this.stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error): retry ourselves, resuming where we were.
        source.close();
        if (this.source === source) this.source = null;
        this.retry(() => this.openEventSource());
      } else {
        this.setState("reconnecting"); // the browser retries by itself, with Last-Event-ID
      }
    };
  }

  retry(open) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    this.setState("reconnecting");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(open, base / 2 + Math.random() * base); // jitter spreads a herd
  }

  receive(text) {
    let message;
    try {
      message = parseJson(text);
    } catch {
      return;
    }
    if (message.type === "snapshot" || message.type === "frame") {
      if (message.stream === this.stream && message.type === "frame" && message.seq <= this.seq) {
        return; // a frame we already have (replayed on resume)
      }
      this.stream = message.stream;
      this.seq = message.seq;
    }
    this.onMessage(message);
    if (message.type === "kick") {
      // Kicked: the server refuses us until the kick ends, so stop reconnecting.
      this.stop();
      this.setState("kicked");
    }
  }

  sendRaw(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  /**
   * Send a client message. Over WebSocket replies come back through onMessage; over SSE the
   * message becomes an HTTP call whose result is handed to onMessage the same way.
   * Resolves to false when nothing could be sent.
   */
  async send(message) {
    if (this.transport === "websocket") {
      const sent = this.sendRaw(message);
      if (!sent) this.onMessage({ type: "error", code: "offline", message: _("连接已断开，正在重连…") });
      return sent;
    }
    const base = `/api/rooms/${this.roomId}`;
    try {
      if (message.type === "comment") {
        this.onMessage({ type: "ack", comment: await api("POST", `${base}/chat`, { text: message.text }) });
      } else if (message.type === "like") {
        await api("POST", `${base}/likes`, { count: message.count });
      } else if (message.type === "question") {
        this.onMessage({ type: "question_ack", question: await api("POST", `${base}/questions`, { text: message.text }) });
      } else if (message.type === "upvote") {
        this.onMessage({
          type: "upvote_ack",
          question: await api("POST", `${base}/questions/${message.question_id}/upvote`),
        });
      } else {
        return false; // clicks, shares and pings only travel over the WebSocket
      }
      return true;
    } catch (error) {
      this.onMessage({ type: "error", code: error.code || "network", message: error.message || _("网络错误") });
      return false;
    }
  }
}

const STATE_LABELS = {
  connecting: _("连接中…"),
  open: _("已连接"),
  reconnecting: _("已断开，正在重连…"),
  kicked: _("你已被移出直播间"),
  gone: _("直播间不存在"),
};

/** Show the connection state on a pill element (data-state / data-transport for tests and CSS).
 * `quietWhenOpen`: a viewer only needs to hear about the connection when it is not working,
 * so the pill hides while connected (the host's consoles keep 已连接 as a check). */
export function showConnection(pill, state, transport, { quietWhenOpen = false } = {}) {
  pill.dataset.state = state;
  pill.dataset.transport = transport;
  // People read the state; the transport is for tests and CSS (data-transport), not for them.
  pill.textContent = STATE_LABELS[state] || _("连接中…");
  pill.title = _("实时互动");
  pill.hidden = quietWhenOpen && state === "open";
}

export function pageTransport() {
  return new URLSearchParams(location.search).get("transport") === "sse" ? "sse" : "websocket";
}
