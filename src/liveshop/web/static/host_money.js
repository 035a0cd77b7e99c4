// The host console's money: dropping a red packet from the wallet, the packets of this room
// (live from the frames' notices), the wallet balance and the gift earnings.
import { _, api, el, formatPrice, idempotencyKey, parsePrice, shortDateTime, toast, typedWords } from "./common.js";

const $ = (id) => document.getElementById(id);
const DROP_ERRORS = {
  insufficient_funds: _("钱包余额不足，请先充值"),
  room_not_live: _("开播后才能发红包"),
  bad_red_packet: _("每个红包至少 0.01 元，最多 1000 个、合计 2 万元"),
  shares_too_small: _("每个红包至少 0.01 元"),
  not_your_room: _("只有本场主播或上架商家可以发红包"),
};
const STATUS_LABELS = { open: _("进行中"), empty: _("已抢完"), expired: _("已结束，余额已退回") };

export class HostMoney {
  constructor({ roomId }) {
    this.roomId = roomId;
    this.packets = new Map();
    this.dropping = false;
    $("red-packet-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.drop();
    });
  }

  async start() {
    await Promise.all([this.loadBalances(), this.loadPackets()]);
  }

  async loadBalances() {
    const wallet = await api("GET", "/api/wallet").catch(() => null);
    if (!wallet) return;
    $("host-wallet").textContent = formatPrice(wallet.wallet);
    $("host-earnings").textContent = formatPrice(wallet.host_earnings);
  }

  async loadPackets() {
    const packets = await api("GET", `/api/rooms/${this.roomId}/red-packets`).catch(() => []);
    for (const packet of packets) if (!this.packets.has(packet.id)) this.packets.set(packet.id, packet);
    this.render();
  }

  /** Frames' notices: red packets change as viewers grab them; a gift line means new earnings. */
  applyNotices(notices) {
    let changed = false;
    for (const [topic, payload] of Object.entries(notices || {})) {
      if (topic === "gift" && payload) this.loadBalances();
      if (!topic.startsWith("red_packet:") || !payload) continue;
      this.packets.set(payload.id, { ...this.packets.get(payload.id), ...payload });
      changed = true;
    }
    if (changed) this.render();
  }

  render() {
    const packets = [...this.packets.values()].sort((a, b) => b.id - a.id);
    $("host-red-packets").replaceChildren(
      ...packets.map((packet) =>
        el("li", { className: "host-item red-packet-row", dataset: { packetId: packet.id, status: packet.status } }, [
          el("b", { text: `🧧 ${formatPrice(packet.total)} · ${_("{count} 个", { count: packet.shares })}` }),
          el("span", {}, packet.greeting ? typedWords(_(" 「{greeting}」"), {}, { greeting: packet.greeting }) : []),
          el("span", { className: "muted", text: " " + _("剩 {left} 个 · {status} · {time} 截止", { left: packet.left, status: STATUS_LABELS[packet.status] || packet.status, time: shortDateTime(packet.expires_at) }) }),
        ]),
      ),
    );
  }

  async drop() {
    if (this.dropping) return;
    const total = parsePrice($("rp-total").value);
    const shares = Number($("rp-shares").value);
    const minutes = Number($("rp-minutes").value);
    if (!total || !Number.isInteger(shares) || shares < 1) {
      toast(_("请填写金额和个数"));
      return;
    }
    this.dropping = true;
    $("rp-drop").disabled = true;
    try {
      const packet = await api(
        "POST",
        `/api/rooms/${this.roomId}/red-packets`,
        { total, shares, greeting: $("rp-greeting").value.trim(), minutes: Number.isInteger(minutes) && minutes > 0 ? minutes : null },
        { "Idempotency-Key": idempotencyKey() },
      );
      this.packets.set(packet.id, { ...packet, ...this.packets.get(packet.id) });
      this.render();
      toast(_("已发出 {amount} 红包", { amount: formatPrice(packet.total) }));
      this.loadBalances();
    } catch (error) {
      toast(DROP_ERRORS[error.code] || error.message || _("发红包失败"));
    } finally {
      this.dropping = false;
      $("rp-drop").disabled = false;
    }
  }
}
