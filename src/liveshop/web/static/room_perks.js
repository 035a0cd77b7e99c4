// Room perks that arrive as frame notices: the flash-sale banner (countdown, then the live
// remaining count and 抢购), coupon drops (领券) and lucky draws (福袋).
// Notices are the live truth; the REST lists fill in what happened before this channel opened.
import { _, api, el, formatCountdown, formatPrice, showTyped, toast } from "./common.js";
import { commerceError, couponTerms } from "./commerce.js";

const $ = (id) => document.getElementById(id);
const TICK_MS = 250; // countdowns redraw four times a second so the switch to 抢购 is prompt
const CHAT_WRITE_BEHIND_MS = 2500; // chat reaches the database up to ~2 s late (live/hub.py)
const ENTRY_RETRIES = 2;

const TASK_PATTERNS = [
  [/^comment '(.+)' in the room$/, (match) => _("在评论区发送「{keyword}」", { keyword: match[1] })],
  [/^watch the room for (\d+) minutes$/, (match) => _("观看直播满 {minutes} 分钟", { minutes: match[1] })],
  [/^follow the shop$/, () => _("关注店铺")],
  [/^buy something in this room$/, () => _("在本直播间下单")],
];

/** "to enter, first: follow the shop; ..." -> ["关注店铺", ...] */
export function missingTasks(message) {
  const list = String(message).replace(/^.*?first:\s*/, "").split(/;\s*/).filter(Boolean);
  return list.map((task) => {
    for (const [pattern, say] of TASK_PATTERNS) {
      const match = pattern.exec(task);
      if (match) return say(match);
    }
    return task;
  });
}

function taskList(tasks) {
  const out = [];
  if (tasks.comment_keyword) out.push(_("评论「{keyword}」", { keyword: tasks.comment_keyword }));
  if (tasks.watch_minutes) out.push(_("观看 {minutes} 分钟", { minutes: tasks.watch_minutes }));
  if (tasks.follow_shop_id) out.push(_("关注店铺"));
  if (tasks.bought_in_room) out.push(_("在本场下单"));
  return out;
}

export class RoomPerks {
  /** saidInChat(keyword) tells whether this viewer sent a chat line containing it here. */
  constructor({ roomId, userId, checkout, shop, saidInChat = () => false }) {
    this.saidInChat = saidInChat;
    this.roomId = roomId;
    this.userId = userId;
    this.checkout = checkout;
    this.shop = shop;
    this.sales = new Map();
    this.coupons = new Map();
    this.draws = new Map();
    this.seen = new Set(); // topics a notice has set: fresher than any REST answer
    this.grabbed = new Set(); // coupon ids in the viewer's wallet
    this.offers = new Map(); // coupon id -> this viewer's offer of a coupon whose depth is tested
    this.won = new Set(); // flash sales this viewer got a unit of
    this.entered = new Set(); // draws this viewer entered
    this.missing = new Map(); // draw id -> tasks still to do
    this.shownSale = null;
    $("flash-buy-btn").addEventListener("click", () => this.buyFlash());
    setInterval(() => this.tick(), TICK_MS);
  }

  /** Fill in perks that started before this page's channel (REST), then the wallet. */
  async load() {
    const base = `/api/rooms/${this.roomId}`;
    const [sales, coupons, draws] = await Promise.all([
      api("GET", `${base}/flash-sales`).catch(() => []),
      api("GET", `${base}/coupons`).catch(() => []),
      api("GET", `${base}/draws`).catch(() => []),
    ]);
    for (const sale of sales) this.setSale(sale, { fromRest: true });
    for (const coupon of coupons) this.setCoupon(coupon, { fromRest: true });
    for (const draw of draws) this.setDraw(draw, { fromRest: true });
    if (this.userId !== null) {
      const wallet = await api("GET", "/api/coupons/mine").catch(() => []);
      for (const held of wallet) {
        this.grabbed.add(held.coupon.id);
        if (held.coupon.experiment) this.offers.set(held.coupon.id, held.coupon); // as held
      }
    }
    this.render();
  }

  applyNotices(notices) {
    for (const [topic, payload] of Object.entries(notices || {})) {
      const [kind] = topic.split(":");
      if (!payload) continue; // announcements carry only a chat line
      this.seen.add(topic);
      if (kind === "flash_sale") this.setSale(payload);
      else if (kind === "coupon") this.setCoupon(payload);
      else if (kind === "draw") this.setDraw(payload);
    }
    this.render();
  }

  setSale(sale, { fromRest = false } = {}) {
    if (fromRest && this.seen.has(`flash_sale:${sale.id}`)) return;
    const known = this.sales.get(sale.id) || {};
    this.sales.set(sale.id, { ...known, ...sale });
  }

  setCoupon(coupon, { fromRest = false } = {}) {
    if (fromRest && this.seen.has(`coupon:${coupon.id}`)) return;
    this.coupons.set(coupon.id, coupon);
  }

  setDraw(draw, { fromRest = false } = {}) {
    if (fromRest && this.seen.has(`draw:${draw.id}`)) return;
    this.draws.set(draw.id, draw);
  }

  render() {
    this.renderFlash();
    this.renderCoupons();
    this.renderDraws();
  }

  tick() {
    this.renderFlash();
    for (const card of document.querySelectorAll("#draw-cards .draw-card")) {
      const draw = this.draws.get(Number(card.dataset.drawId));
      if (draw) card.querySelector(".draw-countdown").textContent = this.drawClock(draw);
    }
    let ranOut = false;
    for (const clock of document.querySelectorAll("#coupon-drops .coupon-countdown")) {
      const endsAt = Number(clock.dataset.endsAt);
      clock.textContent = this.couponClock(endsAt);
      if (endsAt <= Date.now() && !clock.closest(".coupon-drop").querySelector(".coupon-grab").disabled) ranOut = true;
    }
    if (ranOut) this.renderCoupons();
  }

  // --- flash sale ---

  /** On sale first, then the next to start; sold-out sales stay until they end. */
  currentSale(now) {
    const live = [...this.sales.values()].filter((sale) => Date.parse(sale.ends_at) > now);
    live.sort((a, b) => {
      const aStarted = Date.parse(a.starts_at) <= now;
      const bStarted = Date.parse(b.starts_at) <= now;
      if (aStarted !== bStarted) return aStarted ? -1 : 1;
      if (aStarted && (a.remaining > 0) !== (b.remaining > 0)) return a.remaining > 0 ? -1 : 1;
      return Date.parse(a.starts_at) - Date.parse(b.starts_at);
    });
    return live[0] || null;
  }

  renderFlash() {
    const now = Date.now();
    const sale = this.currentSale(now);
    const banner = $("flash-banner");
    this.shownSale = sale;
    if (!sale) {
      banner.hidden = true;
      return;
    }
    const starts = Date.parse(sale.starts_at);
    const phase = now < starts ? "upcoming" : sale.remaining > 0 ? "on_sale" : "sold_out";
    banner.hidden = false;
    banner.dataset.saleId = String(sale.id);
    banner.dataset.phase = phase;
    const found = this.shop.productOfSku(sale.sku_id);
    showTyped($("flash-title"), found ? found.product.title : "");
    $("flash-price").textContent = formatPrice(sale.price);
    const reference = sale.reference_price || (found ? found.sku.price : 0);
    $("flash-reference").textContent = reference > sale.price ? formatPrice(reference) : "";
    $("flash-countdown-box").hidden = phase !== "upcoming";
    $("flash-remaining-box").hidden = phase === "upcoming";
    $("flash-countdown").textContent = formatCountdown(starts - now);
    $("flash-remaining").textContent = String(sale.remaining);
    $("flash-quantity").textContent = String(sale.quantity);
    const button = $("flash-buy-btn");
    const labels = { upcoming: _("即将开抢"), on_sale: _("抢购"), sold_out: _("已抢光") };
    const won = this.won.has(sale.id);
    button.textContent = won ? _("已抢到") : labels[phase];
    button.disabled = phase !== "on_sale" || won || this.checkout.busy;
    if (!found && this.shop.products.size === 0) this.shop.loadShelf();
  }

  async buyFlash() {
    const sale = this.shownSale;
    if (!sale || !this.checkout.requireSignIn()) return;
    if (!(await this.checkout.ensureAddress(() => this.buyFlash()))) return;
    $("flash-buy-btn").disabled = true;
    try {
      const order = await this.checkout.buyFlashSale(sale.id);
      if (order) this.won.add(sale.id);
    } catch (error) {
      if (error.code === "sold_out") this.sales.set(sale.id, { ...sale, remaining: 0 });
    }
    this.renderFlash();
  }

  // --- coupon drops ---

  renderCoupons() {
    const now = Date.now();
    const drops = [...this.coupons.values()].filter((coupon) => Date.parse(coupon.ends_at) > now);
    $("coupon-drops").replaceChildren(...drops.map((coupon) => this.renderCoupon(coupon)));
    this.showPerksPanel();
  }

  /** A coupon whose depth or countdown is A/B tested shows this viewer's depth and their
   * own time to grab it: asked once, when the card is first shown to a signed-in viewer
   * (that is their exposure). */
  offerOf(coupon) {
    if (!(coupon.experiment || coupon.countdown) || this.userId === null) return coupon;
    const offer = this.offers.get(coupon.id);
    if (offer === undefined) {
      this.offers.set(coupon.id, null);
      api("GET", `/api/coupons/${coupon.id}/offer`).then(
        (answer) => {
          this.offers.set(coupon.id, answer);
          this.renderCoupons();
        },
        () => {},
      );
    }
    if (!offer) return coupon;
    return { ...coupon, amount: offer.amount, percent: offer.percent, offer_ends_at: offer.offer_ends_at };
  }

  /** The viewer's own countdown to grab a coupon whose countdown is tested. */
  couponClock(endsAt, now = Date.now()) {
    return endsAt > now ? _("{time} 后截止领取", { time: formatCountdown(endsAt - now) }) : _("领券时间已到");
  }

  renderCoupon(shown) {
    const coupon = this.offerOf(shown);
    const held = this.grabbed.has(coupon.id);
    const gone = coupon.remaining <= 0;
    const endsAt = coupon.offer_ends_at && !held ? Date.parse(coupon.offer_ends_at) : null;
    const expired = endsAt !== null && endsAt <= Date.now();
    const face = coupon.kind === "percent" ? _("{discount}折", { discount: (100 - coupon.percent) / 10, percent: coupon.percent }) : formatPrice(coupon.amount);
    const button = el("button", {
      className: "btn btn-small btn-primary coupon-grab",
      text: held ? _("已领取") : gone ? _("已抢光") : expired ? _("已过期") : _("领券"),
      attrs: { type: "button" },
    });
    button.disabled = held || gone || expired;
    button.addEventListener("click", () => this.grab(coupon, button));
    return el("li", { className: `coupon-drop${held ? " is-held" : ""}`, dataset: { couponId: coupon.id } }, [
      el("span", { className: "coupon-face", text: face }),
      el("span", { className: "coupon-body" }, [
        el("b", { className: "coupon-name", typed: coupon.name }),
        el("small", { className: "coupon-terms", text: couponTerms(coupon) }),
        el("small", { className: "coupon-remaining" }, [
          el("span", { text: _("剩 ") }),
          el("span", { className: "coupon-left", text: coupon.remaining }),
          el("span", { text: _(" / {count} 张", { count: coupon.total_quantity }) }),
        ]),
        ...(endsAt === null ? [] : [el("small", { className: "coupon-countdown", dataset: { endsAt: String(endsAt) }, text: this.couponClock(endsAt) })]),
      ]),
      button,
    ]);
  }

  async grab(coupon, button) {
    if (!this.checkout.requireSignIn()) return;
    button.disabled = true;
    try {
      const held = await api("POST", `/api/coupons/${coupon.id}/grab`);
      this.grabbed.add(coupon.id);
      if (held.coupon.experiment) this.offers.set(coupon.id, held.coupon);
      if (!this.seen.has(`coupon:${coupon.id}`) || held.coupon.remaining < coupon.remaining) {
        this.coupons.set(coupon.id, held.coupon);
      }
      toast(_("已领取「{coupon}」，下单自动使用", { coupon: coupon.name }));
    } catch (error) {
      if (error.code === "coupon_limit") this.grabbed.add(coupon.id);
      if (error.code === "coupons_gone") this.coupons.set(coupon.id, { ...coupon, remaining: 0 });
      toast(commerceError(error));
    }
    this.renderCoupons();
  }

  // --- lucky draws ---

  drawClock(draw) {
    if (draw.status === "drawn") return _("已开奖");
    const left = Date.parse(draw.deadline) - Date.now();
    return left > 0 ? _("{time} 后开奖", { time: formatCountdown(left) }) : _("等待开奖");
  }

  renderDraws() {
    const draws = [...this.draws.values()].sort((a, b) => b.id - a.id);
    $("draw-cards").replaceChildren(...draws.map((draw) => this.renderDraw(draw)));
    this.showPerksPanel();
  }

  renderDraw(draw) {
    const drawn = draw.status === "drawn";
    const card = el("article", { className: `draw-card${drawn ? " is-drawn" : ""}`, dataset: { drawId: draw.id, status: draw.status } });
    const tasks = taskList(draw.tasks || {});
    card.append(
      el("header", { className: "draw-head" }, [
        el("span", { className: "draw-tag", text: _("福袋") }),
        el("b", { className: "draw-title", typed: draw.title }),
        el("span", { className: "draw-countdown", text: this.drawClock(draw) }),
      ]),
      el("p", { className: "draw-meta muted", text: _("{count} 个名额", { count: draw.winners_count }) + (tasks.length ? _(" · 参与条件：") + tasks.join(_("、")) : "") }),
      el("p", { className: "draw-commitment", attrs: { title: draw.commitment } }, [
        el("span", { className: "muted", text: _("公平承诺 SHA-256：") }),
        el("code", { className: "draw-hash", text: draw.commitment }),
      ]),
    );
    if (drawn) {
      const winners = draw.winners || [];
      const mine = this.userId !== null && winners.includes(this.userId);
      card.append(
        el("p", { className: `draw-result${mine ? " is-winner" : ""}`, text: mine ? _("恭喜你中奖了！请在「我的订单」领取奖品") : _("中奖用户：{names}", { names: winners.length ? (draw.winner_names || []).join(_("、")) : _("无人参与") }) }),
        el("a", { className: "draw-verify", text: _("查看开奖验证（JSON）"), attrs: { href: `/api/draws/${draw.id}/verification`, target: "_blank", rel: "noopener" } }),
      );
      return card;
    }
    const entered = this.entered.has(draw.id);
    const button = el("button", { className: "btn btn-primary btn-small draw-enter", text: entered ? _("已参与") : _("参与"), attrs: { type: "button" } });
    button.disabled = entered || Date.parse(draw.deadline) <= Date.now();
    button.addEventListener("click", () => this.enter(draw));
    card.append(button);
    const missing = this.missing.get(draw.id);
    if (missing && missing.length && !entered) {
      card.append(el("ul", { className: "draw-missing" }, missing.map((task) => el("li", { text: task }))));
    }
    return card;
  }

  async enter(draw, retries = ENTRY_RETRIES) {
    if (!this.checkout.requireSignIn()) return;
    try {
      await api("POST", `/api/draws/${draw.id}/entries`);
      this.entered.add(draw.id);
      this.missing.delete(draw.id);
      toast(_("已参与福袋，开奖后公布结果"));
    } catch (error) {
      if (error.code === "draw_tasks_missing") {
        const missing = missingTasks(error.detail); // the server's list, in its own words
        const keyword = draw.tasks && draw.tasks.comment_keyword;
        const onlyComment = missing.length === 1 && keyword && this.saidInChat(keyword);
        if (onlyComment && retries > 0) {
          // The keyword was just said: the line is still on its way to the database.
          toast(_("评论同步中，马上为你参与…"));
          setTimeout(() => this.enter(draw, retries - 1), CHAT_WRITE_BEHIND_MS);
          return;
        }
        this.missing.set(draw.id, missing);
        toast(_("还差几步才能参与"));
      } else {
        if (error.code === "already_entered") this.entered.add(draw.id);
        toast(commerceError(error));
      }
    }
    this.renderDraws();
  }

  showPerksPanel() {
    $("perks").hidden = $("coupon-drops").childElementCount === 0 && $("draw-cards").childElementCount === 0;
  }
}
