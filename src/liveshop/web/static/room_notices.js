// A room's notices in the page's language (issue 18 §2): a flash sale, an auction, a lucky
// draw, a red packet, a gift or a purchase arrives as a chat line whose `says` is what it says (a kind
// and its values: names as they were, amounts in minor units, counts); the page words it.
// A line without one (a host's announcement, a viewer's comment) is shown as written.
import { _, formatPrice } from "./common.js";

const GIFT_NAMES = {
  heart: _("小心心"),
  rose: _("玫瑰"),
  lightstick: _("荧光棒"),
  cake: _("蛋糕"),
  sports_car: _("跑车"),
};

/** A gift's name in the page's language, else as the server named it. */
export function giftName(code, named = "") {
  return GIFT_NAMES[code] || named || code;
}

const WORDS = {
  flash_sale: ({ title, price, reference }) =>
    _("限时秒杀：{title} {price}（原价 {reference}）", {
      title,
      price: formatPrice(price),
      reference: formatPrice(reference),
    }),
  auction_started: ({ title, price }) => _("拍卖开始：{title}，起拍价 {price}", { title, price: formatPrice(price) }),
  auction_bid: ({ bidder, price, extended }) =>
    extended
      ? _("{bidder} 出价，当前价 {price} · 延时 {seconds} 秒", { bidder, price: formatPrice(price), seconds: extended })
      : _("{bidder} 出价，当前价 {price}", { bidder, price: formatPrice(price) }),
  auction_unsold: ({ title }) => _("拍卖结束：{title} 流拍", { title }),
  auction_not_sold: ({ title }) => _("拍卖结束：{title} 未能成交", { title }),
  auction_sold: ({ title, buyer, price }) => _("成交：{title} {buyer} {price}", { title, buyer, price: formatPrice(price) }),
  auction_offered: ({ title, buyer, price }) =>
    _("转让给次高出价者：{title} {buyer} {price}", { title, buyer, price: formatPrice(price) }),
  draw_opened: ({ title }) => _("福袋开启：{title}", { title }),
  draw_drawn: ({ title, winners }) => _("福袋开奖：{title}，{count} 位中奖", { title, count: winners }),
  red_packet: ({ greeting }) => _("红包来了：{greeting}", { greeting: greeting || _("恭喜发财") }),
  purchase: ({ buyer, title }) => _("{buyer} 刚刚买了 {title}", { buyer, title }),
  gift: ({ user, gift, count }) => _("{user} 送出 {gift} x{count}", { user, gift: giftName(gift), count }),
};

/** The words of a chat line: what a notice says, in the page's language, or its text. */
export function lineText(comment) {
  const says = comment.says;
  const word = says && Object.hasOwn(WORDS, says.kind) ? WORDS[says.kind] : null;
  return word ? word(says.params || {}) : comment.text;
}
