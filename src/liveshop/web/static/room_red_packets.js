// Red packets (红包) in the room: an envelope on the video per open packet, from the frames'
// notices (topic "red_packet:{id}") and, for packets dropped before this page connected, the
// REST list. 抢 grabs a share: the amount goes to the wallet, or the packet is empty.
import { _, api, el, formatCountdown, formatPrice, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const TICK_MS = 1000;
const CLOSED_LINGER_MS = 8000; // a packet that closed stays a moment so the last grabbers see why
const GRAB_ERRORS = {
  red_packet_empty: _("手慢了，红包已被抢完"),
  already_grabbed: _("你已经抢过这个红包了"),
  own_red_packet: _("不能抢自己发的红包"),
  not_authenticated: _("请先登录"),
};

export class RoomRedPackets {
  constructor({ username, requireSignIn }) {
    this.username = username;
    this.requireSignIn = requireSignIn;
    this.packets = new Map(); // id -> payload
    this.results = new Map(); // id -> { amount } | { empty: true } | { already: true }
    this.closedAt = new Map(); // id -> ms when seen closed
    this.doneAt = new Map(); // id -> ms when this viewer's grab got its answer
    this.seen = new Set(); // ids a notice told about: fresher than a REST answer
    setInterval(() => this.tick(), TICK_MS);
  }

  async load(roomId) {
    const packets = await api("GET", `/api/rooms/${roomId}/red-packets`).catch(() => []);
    for (const packet of packets) {
      const mine = this.username ? (packet.grabs || []).find((grab) => grab.user === this.username) : null;
      if (mine) {
        this.results.set(packet.id, { amount: mine.amount });
        this.doneAt.set(packet.id, 0); // grabbed on an earlier visit: nothing to show
      }
      // one that closed before this page saw it open has nothing to show
      if (packet.status !== "open" && !this.packets.has(packet.id)) this.closedAt.set(packet.id, 0);
      if (!this.seen.has(packet.id)) this.set(packet);
    }
    this.render();
  }

  applyNotices(notices) {
    let changed = false;
    for (const [topic, payload] of Object.entries(notices || {})) {
      if (!topic.startsWith("red_packet:") || !payload) continue;
      this.seen.add(payload.id);
      this.set(payload);
      changed = true;
    }
    if (changed) this.render();
  }

  set(packet) {
    const known = this.packets.get(packet.id);
    // A notice from a grab a moment ago may arrive after a fresher REST answer.
    if (known && known.status === "open" && packet.status === "open" && packet.left > known.left) return;
    this.packets.set(packet.id, { ...known, ...packet });
    if (packet.status !== "open" && !this.closedAt.has(packet.id)) this.closedAt.set(packet.id, Date.now());
  }

  // One envelope on the stage at a time: the oldest open packet the viewer has not grabbed,
  // else the one that just closed or was just grabbed (for a few seconds, so its result can
  // be read). Packets that are used, expired or read leave the stage.
  visible() {
    const now = Date.now();
    const lingering = (id) => now - (this.doneAt.get(id) ?? this.closedAt.get(id) ?? now) < CLOSED_LINGER_MS;
    const packets = [...this.packets.values()].sort((a, b) => a.id - b.id);
    const recent = packets.filter((packet) => (this.results.has(packet.id) || packet.status !== "open") && lingering(packet.id));
    const open = packets.filter(
      (packet) => !this.results.has(packet.id) && packet.status === "open" && Date.parse(packet.expires_at) > now && packet.left > 0,
    );
    const shown = recent.length ? recent[recent.length - 1] : open[0];
    return shown ? [shown] : [];
  }

  render() {
    $("red-packets").replaceChildren(...this.visible().map((packet) => this.renderPacket(packet)));
  }

  tick() {
    for (const card of document.querySelectorAll("#red-packets .red-packet")) {
      const packet = this.packets.get(Number(card.dataset.packetId));
      const clock = card.querySelector(".red-packet-clock");
      if (packet && clock) clock.textContent = this.clock(packet);
    }
    const shown = [...document.querySelectorAll("#red-packets .red-packet")].map((card) => card.dataset.packetId).join();
    if (shown !== this.visible().map((packet) => String(packet.id)).join()) this.render();
  }

  clock(packet) {
    if (packet.status !== "open") return packet.status === "empty" ? _("已抢完") : _("已结束");
    return _("{time} 后结束", { time: formatCountdown(Date.parse(packet.expires_at) - Date.now()) });
  }

  renderPacket(packet) {
    const result = this.results.get(packet.id);
    const open = packet.status === "open" && Date.parse(packet.expires_at) > Date.now() && packet.left > 0;
    const card = el("div", {
      className: `red-packet${result ? " is-done" : ""}${open ? "" : " is-closed"}`,
      dataset: { packetId: packet.id, status: packet.status },
    });
    card.append(
      el("span", { className: "red-packet-greeting", ...(packet.greeting ? { typed: packet.greeting } : { text: _("恭喜发财") }) }),
      el("strong", { className: "red-packet-total", text: formatPrice(packet.total) }),
      el("small", { className: "red-packet-left", text: _("剩 {left}/{shares} 个", { left: packet.left, shares: packet.shares }) }),
      el("small", { className: "red-packet-clock", text: this.clock(packet) }),
    );
    if (result) {
      const text = result.amount !== undefined ? _("抢到 {amount}", { amount: formatPrice(result.amount) }) : result.empty ? _("红包已抢完") : _("已抢过");
      card.append(el("p", { className: `red-packet-result${result.amount !== undefined ? " is-won" : " is-empty"}`, text }));
      return card;
    }
    const button = el("button", { className: "red-packet-grab", text: open ? _("抢") : _("已抢完"), attrs: { type: "button", "aria-label": _("抢红包") } });
    button.disabled = !open;
    button.addEventListener("click", () => this.grab(packet, button));
    card.append(button);
    return card;
  }

  async grab(packet, button) {
    if (!this.requireSignIn()) return;
    button.disabled = true;
    try {
      const share = await api("POST", `/api/red-packets/${packet.id}/grab`);
      this.results.set(packet.id, { amount: share.amount });
      this.doneAt.set(packet.id, Date.now());
      toast(_("抢到 {amount}，已存入钱包", { amount: formatPrice(share.amount) }));
    } catch (error) {
      if (error.code === "red_packet_empty") this.results.set(packet.id, { empty: true });
      else if (error.code === "already_grabbed") this.results.set(packet.id, { already: true });
      else button.disabled = false;
      if (this.results.has(packet.id)) this.doneAt.set(packet.id, Date.now());
      toast(GRAB_ERRORS[error.code] || error.message || _("没抢到"));
    }
    this.render();
  }
}
