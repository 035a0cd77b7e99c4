// A room's notices in the page's language (issue 18 §2): a flash sale, an auction, a lucky
// draw, a red packet, a gift or a purchase arrives as a chat line whose `says` is what it says (a kind
// and its values: names as they were, amounts in minor units, counts); the page words it.
// A line without one (a host's announcement, a viewer's comment) is shown as written.
import { _, formatPrice, showTyped, typedWords } from "./common.js";

const GIFT_NAMES = {
  heart: _("小心心"),
  rose: _("玫瑰"),
  lightstick: _("荧光棒"),
  cake: _("蛋糕"),
  sports_car: _("跑车"),
  rocket: _("火箭"),
  carnival: _("嘉年华"),
};

/** A gift's name in the page's language, else as the server named it. */
export function giftName(code, named = "") {
  return GIFT_NAMES[code] || named || code;
}

// Each kind's sentence in the page's language, the page's own values (prices, counts) and
// the typed ones (titles, names, a greeting, shown as written: written_language.js).
const WORDS = {
  flash_sale: ({ title, price, reference }) => [
    _("限时秒杀：{title} {price}（原价 {reference}）"),
    { price: formatPrice(price), reference: formatPrice(reference) },
    { title },
  ],
  auction_started: ({ title, price }) => [_("拍卖开始：{title}，起拍价 {price}"), { price: formatPrice(price) }, { title }],
  auction_bid: ({ bidder, price, extended }) =>
    extended
      ? [_("{bidder} 出价，当前价 {price} · 延时 {seconds} 秒"), { price: formatPrice(price), seconds: extended }, { bidder }]
      : [_("{bidder} 出价，当前价 {price}"), { price: formatPrice(price) }, { bidder }],
  auction_unsold: ({ title }) => [_("拍卖结束：{title} 流拍"), {}, { title }],
  auction_not_sold: ({ title }) => [_("拍卖结束：{title} 未能成交"), {}, { title }],
  auction_sold: ({ title, buyer, price }) => [_("成交：{title} {buyer} {price}"), { price: formatPrice(price) }, { title, buyer }],
  auction_offered: ({ title, buyer, price }) => [
    _("转让给次高出价者：{title} {buyer} {price}"),
    { price: formatPrice(price) },
    { title, buyer },
  ],
  draw_opened: ({ title }) => [_("福袋开启：{title}"), {}, { title }],
  draw_drawn: ({ title, winners }) => [_("福袋开奖：{title}，{count} 位中奖"), { count: winners }, { title }],
  red_packet: ({ greeting }) =>
    greeting ? [_("红包来了：{greeting}"), {}, { greeting }] : [_("红包来了：{greeting}"), { greeting: _("恭喜发财") }, {}],
  purchase: ({ buyer, title }) => [_("{buyer} 刚刚买了 {title}"), {}, { buyer, title }],
  gift: ({ user, gift, count }) => [_("{user} 送出 {gift} x{count}"), { gift: giftName(gift), count }, { user }],
};

/** `node` shows a chat line's words: what a notice says, in the page's language, or its text
 * as written, saying its language. */
export function showLine(node, comment) {
  const says = comment.says;
  if (!says || !Object.hasOwn(WORDS, says.kind)) return showTyped(node, comment.text);
  node.removeAttribute("lang");
  node.replaceChildren(...typedWords(...WORDS[says.kind](says.params || {})));
  return node;
}
