// The room's auction card (拍卖): the running auction's price, countdown and masked bid log,
// and a bid box (a maximum: the server bids for you up to it). Reads the room's auctions
// every 2 s; one module, included by room.html on its own. The card is the auction's lane on the
// stage (#auction-card in room.html, styled in room_layout.css).
import { _, api, el, formatCountdown, formatPrice, toast, typedWords } from "./common.js";

const POLL_MS = 2000;
const TICK_MS = 250;
const MESSAGES = {
  card_required: _("出价前请先绑定银行卡（成交后需立即支付）"),
  bid_too_low: _("出价太低"),
  auction_closed: _("拍卖已结束"),
  own_auction: _("主播和店铺不能参与自己的拍卖"),
  not_authenticated: _("请先登录"),
};
const STATUS = { running: _("竞拍中"), won: _("已成交"), offered: _("已转给次高出价者"), unsold: _("流拍") };

const root = document.getElementById("room");
const roomId = Number(root && root.dataset.roomId);
const card = document.getElementById("auction-card");
let auction = null;

function render() {
  if (!card) return;
  if (!auction) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  card.replaceChildren();
  const left = auction.ends_at ? Date.parse(auction.ends_at) - Date.now() : 0;
  const running = auction.status === "running";
  card.append(
    el("div", { className: "auction-title" }, typedWords(_("拍卖 · {title}"), {}, { title: auction.title })),
    el("div", { className: "auction-price" }, [
      _("当前价 {price}", { price: formatPrice(auction.current_price ?? auction.starting_price) }),
      ...(auction.leader ? typedWords(_(" · 领先 {name}"), {}, { name: auction.leader }) : [_(" · 暂无出价")]),
    ]),
    el("div", {
      className: "auction-clock",
      text: running ? _("剩余 {time}", { time: formatCountdown(left) }) : STATUS[auction.status] || "",
    }),
  );
  if (auction.has_reserve && !auction.reserve_met) card.append(el("div", { className: "auction-reserve", text: _("未达保留价") }));
  if (running) {
    const input = el("input", { className: "auction-max", attrs: { type: "number", min: String(auction.next_minimum / 100), step: "0.01", "aria-label": _("最高出价（元）") } });
    input.value = (auction.next_minimum / 100).toFixed(2);
    const button = el("button", { className: "btn btn-primary auction-bid-btn", text: _("出价"), attrs: { type: "button" } });
    button.addEventListener("click", () => bid(Math.round(Number(input.value) * 100)));
    card.append(el("div", { className: "auction-bid" }, [input, button, el("small", { text: _(" 至少 {price}", { price: formatPrice(auction.next_minimum) }) })]));
  }
  const log = el("ol", { className: "auction-log" });
  for (const entry of auction.bids.slice(0, 10)) {
    log.append(el("li", {}, [el("span", { typed: entry.bidder }), ` → ${formatPrice(entry.price_after)}`]));
  }
  card.append(log);
}

async function bid(maxAmount) {
  if (!auction || !Number.isFinite(maxAmount) || maxAmount <= 0) return;
  const key = `bid-${auction.id}-${crypto.randomUUID()}`;
  try {
    const result = await api("POST", `/api/auctions/${auction.id}/bids`, { max_amount: maxAmount }, { "Idempotency-Key": key });
    // the reply is where the auction stands, without its log: the log keeps what the
    // last poll read, with this bid on top until the next poll
    const bids = result.replayed ? auction.bids : [result.bid, ...auction.bids];
    auction = { ...auction, ...result.auction, bids };
    toast(result.bid.leading ? _("出价成功，你目前领先") : _("出价已记录，但已被代理出价超过"));
  } catch (error) {
    toast(MESSAGES[error.code] || error.message || _("出价失败"));
  }
  render();
}

async function poll() {
  try {
    const list = await api("GET", `/api/rooms/${roomId}/auctions`);
    auction = list.find((item) => item.status === "running") || list.find((item) => item.status !== "draft") || null;
  } catch {
    // keep the last card; the next poll retries
  }
  render();
}

if (roomId && card) {
  poll();
  setInterval(poll, POLL_MS);
  setInterval(() => {
    const clock = card.querySelector(".auction-clock");
    if (clock && auction && auction.status === "running") {
      clock.textContent = _("剩余 {time}", { time: formatCountdown(Date.parse(auction.ends_at) - Date.now()) });
    }
  }, TICK_MS);
}
