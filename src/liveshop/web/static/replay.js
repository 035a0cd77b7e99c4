// The replay page (and a highlight's page): the recording with the chat replayed in sync,
// a chapter per pinned product, and the product pinned at that moment, at today's price.
import { _, ApiError, api, el, formatCountdown, formatPrice, showTyped, typedWords } from "./common.js";

const CHAT_LINES = 12; // on screen over the video
const root = document.getElementById("replay");
const roomId = Number(root.dataset.roomId);
const clipProductId = root.dataset.productId ? Number(root.dataset.productId) : null;
const $ = (id) => document.getElementById(id);
const products = new Map(); // id -> product (today's price), fetched once

// Each event's words as nodes: the page's sentence, with what people typed (a title, a question)
// shown as written, saying its language (written_language.js).
const EVENT_WORDS = {
  pin: (item) =>
    item.title ? typedWords(_("开始讲解：{title}"), {}, { title: item.title }) : [_("开始讲解：{title}", { title: _("商品") })],
  unpin: () => [_("讲解结束")],
  flash_sale: (item) => [_("限时秒杀开始 {price}", { price: formatPrice(item.price) })],
  draw: (item) => typedWords(item.event === "drawn" ? _("福袋开奖：{title}") : _("福袋开启：{title}"), {}, { title: item.title }),
  order: (item) => typedWords(_("有人买了 {title} ×{count}"), { count: item.quantity }, { title: item.title }),
  coupon_drop: (item) => typedWords(_("直播间发券：{name}"), {}, { name: item.name }),
  question: (item) => typedWords(_("提问：{text}"), {}, { text: item.text }),
  answer: (item) => typedWords(_("主播回答：{text}"), {}, { text: item.text }),
  likes: (item) => [_("点赞 +{count}", { count: item.count })],
  gift: (item) => [_("送出礼物 {gift} ×{count}", { gift: item.gift_code, count: item.count })],
  red_packet: (item) => [_("发红包 {total}", { total: formatPrice(item.total, item.currency) })],
  auction_start: (item) =>
    typedWords(_("拍卖开始：{title}，起拍 {price}"), { price: formatPrice(item.starting_price, item.currency) }, { title: item.title }),
  auction_bid: (item) => [_("出价 {price}", { price: formatPrice(item.price) })],
  auction_close: (item) => [item.sold_price == null ? _("拍卖结束，未成交") : _("拍卖成交 {price}", { price: formatPrice(item.sold_price) })],
  start: () => [_("开播")],
  end: () => [_("下播")],
};

function timeLabel(seconds) {
  return formatCountdown(Math.max(0, seconds) * 1000);
}

function messageFor(error) {
  if (error instanceof ApiError && error.status === 409) return _("回放还在生成，请稍后刷新");
  if (error instanceof ApiError && error.status === 404) return _("没有找到这段回放");
  return _("回放暂时无法播放，请稍后再试");
}

function showMessage(text) {
  const message = $("replay-message");
  message.textContent = text;
  message.hidden = !text;
}

function makeVideo(url) {
  const video = el("video", { className: "replay-video", attrs: { controls: "", playsinline: "", preload: "metadata" } });
  video.src = url;
  $("replay-box").prepend(video);
  return video;
}

function lineFor(item) {
  if (item.type === "comment") {
    const who = item.user ? typedWords(_("{user}："), {}, { user: item.user }) : [];
    return el("p", {}, [...who, el("span", { typed: item.text })]);
  }
  if (item.type === "announcement") return el("p", { className: "is-announcement" }, ["📢 ", el("span", { typed: item.text })]);
  const words = EVENT_WORDS[item.type];
  return words ? el("p", { className: "is-event" }, words(item)) : null;
}

// The chat as it stood at `t`: the last CHAT_LINES lines up to that moment.
function renderChat(timeline, t) {
  const box = $("replay-chat");
  const lines = [];
  for (const item of timeline) {
    if (item.t > t) break;
    const line = lineFor(item);
    if (line) lines.push(line);
  }
  box.replaceChildren(...lines.slice(-CHAT_LINES));
}

// What was pinned at `t` (null between an unpin and the next pin).
function pinnedAt(timeline, t) {
  let pinned = null;
  for (const item of timeline) {
    if (item.t > t) break;
    if (item.type === "pin") pinned = item;
    else if (item.type === "unpin" || item.type === "end") pinned = null;
  }
  return pinned;
}

async function product(id) {
  if (!products.has(id)) {
    products.set(id, api("GET", `/api/products/${id}`).catch(() => null));
  }
  return products.get(id);
}

let shownProductId = null;
async function renderShelf(pin) {
  const shelf = $("replay-shelf");
  const productId = pin ? pin.product_id : null;
  if (productId === shownProductId) return;
  shownProductId = productId;
  if (!pin) {
    shelf.hidden = true;
    return;
  }
  showTyped($("replay-shelf-title"), pin.title || "");
  const image = $("replay-shelf-img");
  image.hidden = !pin.image_url;
  if (pin.image_url) image.src = pin.image_url;
  $("replay-shelf-price").textContent = "—";
  $("replay-shelf-buy").href = `/products/${productId}`;
  shelf.hidden = false;
  const today = await product(productId);
  if (shownProductId !== productId) return;
  if (today && today.skus && today.skus.length) {
    $("replay-shelf-price").textContent = formatPrice(today.min_price, today.currency);
  } else {
    $("replay-shelf-price").textContent = _("已下架");
    $("replay-shelf-buy").hidden = true;
  }
}

function renderChapters(timeline, video) {
  const pins = timeline.filter((item) => item.type === "pin");
  const list = $("chapters");
  list.replaceChildren(
    ...pins.map((pin) => {
      const button = el("button", { attrs: { type: "button" } }, [
        el("span", pin.title ? { typed: pin.title } : { text: _("商品") }),
        el("span", { className: "muted", text: timeLabel(pin.t) }),
      ]);
      button.addEventListener("click", () => {
        video.currentTime = pin.t;
        video.play().catch(() => {});
      });
      return el("li", { attrs: { "data-t": String(pin.t) } }, [button]);
    }),
  );
  $("chapters-panel").hidden = pins.length === 0;
}

function markChapter(t) {
  let current = null;
  for (const item of $("chapters").children) {
    item.classList.remove("is-current");
    if (Number(item.dataset.t) <= t) current = item;
  }
  if (current) current.classList.add("is-current");
}

async function renderHighlights() {
  try {
    const clips = await api("GET", `/api/rooms/${roomId}/highlights`);
    $("highlights").replaceChildren(
      ...clips.map((clip) =>
        el("li", {}, [
          el("a", { attrs: { href: clip.page_url } }, [
            el("span", clip.title ? { typed: clip.title } : { text: _("商品") }),
            el("span", { className: "muted", text: timeLabel(clip.duration_s) }),
          ]),
        ]),
      ),
    );
    $("highlights-panel").hidden = clips.length === 0;
    return clips;
  } catch {
    return [];
  }
}

async function showReplay() {
  const replay = await api("GET", `/api/rooms/${roomId}/replay`);
  const timeline = replay.timeline;
  const video = makeVideo(replay.video_url);
  showMessage("");
  renderChapters(timeline, video);
  const sync = () => {
    renderChat(timeline, video.currentTime);
    renderShelf(pinnedAt(timeline, video.currentTime));
    markChapter(video.currentTime);
  };
  video.addEventListener("timeupdate", sync);
  video.addEventListener("seeked", sync);
  sync();
  renderHighlights();
}

async function showHighlight() {
  const clips = await renderHighlights();
  const clip = clips.find((item) => item.product_id === clipProductId);
  if (!clip) {
    showMessage(_("这件商品没有高光片段"));
    return;
  }
  const replay = await api("GET", `/api/rooms/${roomId}/replay`);
  const video = makeVideo(clip.video_url);
  showMessage("");
  // the clip's own clock starts at its pin: the room's timeline shifted by the clip's start
  const timeline = replay.timeline
    .filter((item) => item.t >= clip.start_s && item.t <= clip.end_s)
    .map((item) => ({ ...item, t: item.t - clip.start_s }));
  const pin = { type: "pin", product_id: clip.product_id, title: clip.title, t: 0 };
  renderShelf(pin);
  const sync = () => renderChat(timeline, video.currentTime);
  video.addEventListener("timeupdate", sync);
  video.addEventListener("seeked", sync);
}

(clipProductId ? showHighlight() : showReplay()).catch((error) => showMessage(messageFor(error)));
