// Gifts in the room: the catalogue sheet (coin prices, how many, coins left, send) and the
// animations everyone sees when a gift line arrives in a frame (CSS per the gift's animation).
import { _, api, el, idempotencyKey, toast } from "./common.js";
import { openSheet } from "./commerce.js";
import { giftName } from "./room_notices.js";

const $ = (id) => document.getElementById(id);

export const GIFT_ICONS = {
  heart: "💗",
  rose: "🌹",
  lightstick: "✨",
  cake: "🎂",
  sports_car: "🏎️",
  rocket: "🚀",
  carnival: "🎡",
};
const ANIMATIONS = new Set(["float", "burst", "fly", "shower"]);
const MAX_WAITING = 6; // banners queued behind the one playing; beyond that only the chat line shows
const waiting = [];
const SHOWER_DROPS = 12;
const GIFT_ERRORS = {
  insufficient_funds: _("金币不足，先去充值吧"),
  room_not_live: _("直播未开始，暂不能送礼"),
  own_room: _("不能给自己送礼物"),
  gift_not_found: _("礼物已下架"),
};

export function giftIcon(code) {
  return GIFT_ICONS[code] || "🎁";
}

export class GiftPanel {
  constructor({ roomId, requireSignIn }) {
    this.roomId = roomId;
    this.requireSignIn = requireSignIn;
    this.catalogue = [];
    this.chosen = null; // gift code
    this.count = 1;
    this.coins = null;
    this.sending = false;
    $("gift-btn").addEventListener("click", () => this.open());
    $("gift-send").addEventListener("click", () => this.send());
    for (const chip of $("gift-counts").querySelectorAll("[data-count]")) {
      chip.addEventListener("click", () => {
        this.count = Number(chip.dataset.count);
        for (const other of $("gift-counts").children) {
          other.classList.toggle("is-selected", other === chip);
          other.setAttribute("aria-pressed", other === chip ? "true" : "false");
        }
        this.renderCost();
      });
    }
  }

  async open() {
    if (!this.requireSignIn()) return;
    openSheet($("gift-sheet"));
    const [catalogue, wallet] = await Promise.all([
      this.catalogue.length ? this.catalogue : api("GET", "/api/gifts").catch(() => []),
      api("GET", "/api/wallet").catch(() => null),
    ]);
    this.catalogue = catalogue;
    if (wallet) this.showCoins(wallet.coins);
    if (!this.chosen && catalogue.length) this.chosen = catalogue[0].code;
    this.renderGrid();
  }

  showCoins(coins) {
    this.coins = coins;
    $("gift-coins").textContent = String(coins);
    this.renderCost();
  }

  renderGrid() {
    $("gift-grid").replaceChildren(
      ...this.catalogue.map((gift) => {
        const on = gift.code === this.chosen;
        const button = el("button", {
          className: `gift-item${on ? " is-selected" : ""}`,
          attrs: { type: "button", role: "radio", "aria-checked": on ? "true" : "false" },
          dataset: { gift: gift.code },
        }, [
          el("span", { className: "gift-icon", text: giftIcon(gift.code) }),
          el("span", { className: "gift-name", text: giftName(gift.code, gift.name) }),
          el("small", { className: "gift-price", text: _("{coins} 金币", { coins: gift.coins }) }),
        ]);
        button.addEventListener("click", () => {
          this.chosen = gift.code;
          this.renderGrid();
        });
        return el("li", {}, [button]);
      }),
    );
    this.renderCost();
  }

  renderCost() {
    const gift = this.catalogue.find((item) => item.code === this.chosen);
    const cost = gift ? gift.coins * this.count : 0;
    const short = this.coins !== null && cost > this.coins;
    $("gift-cost").textContent = gift ? _("共 {coins} 金币", { coins: cost }) + (short ? _("，金币不足") : "") : "";
    $("gift-send").disabled = !gift || this.sending;
  }

  async send() {
    const gift = this.catalogue.find((item) => item.code === this.chosen);
    if (!gift || this.sending) return;
    this.sending = true;
    this.renderCost();
    try {
      const sent = await api(
        "POST",
        `/api/rooms/${this.roomId}/gifts`,
        { gift: gift.code, count: this.count },
        { "Idempotency-Key": idempotencyKey() },
      );
      this.showCoins(sent.coins_left);
      toast(_("已送出 {gift} x{count}", { gift: giftName(gift.code, gift.name), count: sent.count }));
    } catch (error) {
      toast(GIFT_ERRORS[error.code] || error.message || _("赠送失败"));
    } finally {
      this.sending = false;
      this.renderCost();
    }
  }
}

/** Play a gift line's animation in the stage's gift lane (data: {gift, name, count, animation,
 * user}), one at a time: a gift that arrives while another plays waits for it to end. */
export function playGift(data) {
  const layer = $("gift-layer");
  if (!data || !layer) return;
  if (layer.childElementCount) {
    if (waiting.length < MAX_WAITING) waiting.push(data);
    return;
  }
  const animation = ANIMATIONS.has(data.animation) ? data.animation : "float";
  const icon = giftIcon(data.gift);
  const node = el("div", { className: `gift-anim anim-${animation}`, dataset: { gift: data.gift, animation } }, [
    el("span", { className: "gift-anim-icon", text: icon }),
    el("span", { className: "gift-anim-label" }, [
      el("b", { className: "gift-anim-user", typed: data.user || "" }),
      el("span", { text: _(" 送出 {gift}", { gift: giftName(data.gift, data.name) }) }),
      el("span", { className: "gift-anim-count", text: ` x${data.count || 1}` }),
    ]),
  ]);
  if (animation === "shower") {
    for (let drop = 0; drop < SHOWER_DROPS; drop += 1) {
      const piece = el("span", { className: "gift-drop", text: icon });
      piece.style.left = `${Math.round(Math.random() * 92)}%`;
      piece.style.animationDelay = `${(Math.random() * 1.2).toFixed(2)}s`;
      node.append(piece);
    }
  }
  node.addEventListener("animationend", (event) => {
    if (event.target !== node) return;
    node.remove();
    if (waiting.length) playGift(waiting.shift());
  });
  layer.append(node);
}
