// The viewer page: video, danmaku, chat, likes, questions, and shopping: the pinned product,
// the shelf, flash sales, coupon drops, lucky draws, paying; gifts and red packets.
import { ChatList, QuestionBoard, STATUS_LABELS, errorText } from "./chat.js";
import { Checkout } from "./checkout.js";
import { bindSheets } from "./commerce.js";
import { _, el, formatCount, toast } from "./common.js";
import { LiveConnection, pageTransport, showConnection } from "./live.js";
import { GiftPanel, playGift } from "./room_gifts.js";
import { RoomPerks } from "./room_perks.js";
import { RoomRedPackets } from "./room_red_packets.js";
import { RoomShop } from "./room_shop.js";
import { showLine } from "./room_notices.js";
import { RoomVideo, VideoChat } from "./room_video.js";

const LIKE_FLUSH_MS = 300; // clicks are coalesced: one like message per 300 ms at most
const MAX_LIKES_PER_MESSAGE = 50; // the server's cap per message
const MAX_DANMAKU = 24; // on screen at once; beyond that new lines skip the overlay
const DANMAKU_ROW_PX = 28; // a danmaku line's height: the lane holds as many rows as fit
const DANMAKU_GAP_PX = 24; // a row takes its next line once its last one is this far in
const DANMAKU_PX_PER_S = 180; // one speed for every line, so none catches up with the one ahead
const MAX_HEARTS = 20;
const HEART_COLORS = ["#fe2c55", "#ff7a1a", "#ff5fa2", "#b45cff", "#ffc233"];

const root = document.getElementById("room");
const roomId = Number(root.dataset.roomId);
const userId = root.dataset.userId ? Number(root.dataset.userId) : null;
const hostId = Number(root.dataset.hostId);
const $ = (id) => document.getElementById(id);

const chat = new ChatList($("chat-list"), { hostId });
const questions = new QuestionBoard($("question-list"), renderQuestion);
const votedQuestions = new Set();
let serverLikes = Number($("like-total").textContent) || 0;
let unsentLikes = 0;
let roomStatus = root.dataset.roomStatus;

const connection = new LiveConnection(roomId, {
  transport: pageTransport(),
  onMessage: handleMessage,
  onState: (state, transport) => showConnection($("conn"), state, transport, { quietWhenOpen: true }),
});
const checkout = new Checkout({ roomId, userId });
const shop = new RoomShop({
  roomId,
  checkout,
  onBuyClick: () => connection.send({ type: "click" }),
  shelfTested: root.dataset.shelfTested === "true",
});
const perks = new RoomPerks({
  roomId,
  userId,
  checkout,
  shop,
  saidInChat: (keyword) =>
    [...chat.lines.values()].some(({ comment }) => comment.user_id === userId && String(comment.text).includes(keyword)),
});
const gifts = new GiftPanel({ roomId, requireSignIn: () => checkout.requireSignIn() });
const redPackets = new RoomRedPackets({ username: root.dataset.username, requireSignIn: () => checkout.requireSignIn() });
bindSheets();
const video = new RoomVideo({
  roomId,
  box: $("video-box"),
  poster: $("player-poster"),
  unmuteButton: $("unmute-btn"),
  playbackUrl: $("player-poster").dataset.playbackUrl,
});
const videoChat = new VideoChat($("video-chat"));

function handleMessage(message) {
  switch (message.type) {
    case "snapshot":
      showStatus(message.status);
      for (const comment of message.comments) addComment(comment, { danmaku: false });
      applyCounters(message);
      shop.showPinned(message.pinned);
      perks.applyNotices(message.notices);
      redPackets.applyNotices(message.notices);
      video.applyNotices(message.notices);
      questions.merge(message.questions);
      if (message.you && message.you.muted_until) showMuted(message.you.muted_until);
      break;
    case "frame":
      showStatus(message.status);
      for (const comment of message.comments) addComment(comment, { danmaku: true });
      applyCounters(message);
      shop.showPinned(message.pinned);
      perks.applyNotices(message.notices);
      redPackets.applyNotices(message.notices);
      video.applyNotices(message.notices);
      if (message.questions.length) questions.merge(message.questions);
      break;
    case "ack":
      addComment({ count: 1, ...message.comment }, { danmaku: true });
      break;
    case "question_ack":
    case "upvote_ack":
      if (message.type === "upvote_ack") votedQuestions.add(String(message.question.id));
      questions.merge([message.question]);
      break;
    case "mute":
      showMuted(message.until);
      break;
    case "kick":
      toast(_("你已被主播移出直播间"));
      break;
    case "error":
      toast(errorText(message));
      break;
    default:
      break;
  }
}

function addComment(comment, { danmaku }) {
  const result = chat.add(comment);
  if (result === "new") videoChat.add(comment);
  if (result === "new" && danmaku) {
    launchDanmaku(comment);
    if (comment.kind === "gift") playGift(comment.data); // live frames only, never the history
  }
}

function applyCounters(message) {
  serverLikes = message.likes;
  $("like-total").textContent = formatCount(serverLikes + unsentLikes);
  $("viewer-count").textContent = formatCount(message.viewers);
}

function showStatus(status) {
  if (status === roomStatus) return;
  roomStatus = status;
  root.dataset.roomStatus = status;
  $("status-overlay").hidden = status === "live";
  $("status-text").textContent = status === "ended" ? _("直播已结束") : _("{status}，敬请期待", { status: STATUS_LABELS[status] || status });
  // A show that ends while watched had its video recorded: its replay is on the way.
  if (status === "ended" && video.playbackUrl) $("replay-link").hidden = false;
}

function showMuted(until) {
  const input = $("chat-input");
  if (until * 1000 <= Date.now()) {  // a mute lifted early (a moderator's, overturned on appeal)
    input.disabled = false;
    input.placeholder = _("说点什么…");
    return;
  }
  const minutes = Math.max(1, Math.ceil((until * 1000 - Date.now()) / 60000));
  input.disabled = true;
  input.placeholder = _("你已被禁言，约 {minutes} 分钟后恢复", { minutes });
  setTimeout(() => {
    input.disabled = false;
    input.placeholder = _("说点什么…");
  }, Math.max(0, until * 1000 - Date.now()));
}

// --- danmaku: lines fly right to left in the stage's danmaku lane, one row each, a cap on screen ---

const danmakuRows = []; // the last line launched in each row

/** The first row whose last line has flown clear of the lane's right edge; -1 when none is (the
 * lane is full, or squeezed to nothing by the other overlays, or hidden): the line stays in the chat. */
function clearDanmakuRow(layer) {
  const rows = Math.floor(layer.clientHeight / DANMAKU_ROW_PX);
  const edge = layer.getBoundingClientRect().right - DANMAKU_GAP_PX;
  for (let row = 0; row < rows; row += 1) {
    const last = danmakuRows[row];
    if (!last || !last.isConnected || last.getBoundingClientRect().right < edge) return row;
  }
  return -1;
}

function launchDanmaku(comment) {
  const layer = $("danmaku");
  if (layer.childElementCount >= MAX_DANMAKU || comment.kind === "announcement") return;
  const row = clearDanmakuRow(layer);
  if (row < 0) return;
  const line = showLine(el("span", { className: `danmaku-line kind-${comment.kind}` }), comment);
  line.style.top = `${row * DANMAKU_ROW_PX}px`;
  if (userId !== null && comment.user_id === userId) line.classList.add("mine");
  danmakuRows[row] = line;
  line.addEventListener("animationend", () => line.remove());
  layer.append(line);
  // it flies 100vw and its own width
  line.style.animationDuration = `${(window.innerWidth + line.offsetWidth) / DANMAKU_PX_PER_S}s`;
}

// --- likes: hearts at once, counts sent at most every 300 ms ---

function floatHeart() {
  const layer = $("hearts");
  if (layer.childElementCount >= MAX_HEARTS) return;
  const heart = el("span", { className: "heart", text: "❤" });
  heart.style.color = HEART_COLORS[Math.floor(Math.random() * HEART_COLORS.length)];
  heart.style.setProperty("--drift", `${Math.round(Math.random() * 60 - 30)}px`);
  heart.addEventListener("animationend", () => heart.remove());
  layer.append(heart);
}

let likeTimer = 0;
$("like-btn").addEventListener("click", () => {
  floatHeart();
  if (userId === null) {
    toast(_("登录后点赞才会计入哦"));
    return;
  }
  unsentLikes += 1;
  $("like-total").textContent = formatCount(serverLikes + unsentLikes);
  if (!likeTimer) likeTimer = setTimeout(flushLikes, LIKE_FLUSH_MS);
});

async function flushLikes() {
  likeTimer = 0;
  const count = Math.min(unsentLikes, MAX_LIKES_PER_MESSAGE);
  if (!count) return;
  unsentLikes -= count;
  const sent = await connection.send({ type: "like", count });
  if (!sent) unsentLikes = 0; // offline: drop them rather than burst later
  if (unsentLikes && !likeTimer) likeTimer = setTimeout(flushLikes, LIKE_FLUSH_MS);
}

// --- chat and questions ---

function bindComposer(formId, inputId, type) {
  const form = $(formId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $(inputId);
    if (userId === null || input.disabled) return;
    const text = input.value.trim();
    if (!text) return;
    const sent = await connection.send({ type, text });
    if (sent) input.value = "";
  });
}
bindComposer("chat-form", "chat-input", "comment");
bindComposer("question-form", "question-input", "question");

function renderQuestion(question) {
  const id = String(question.id);
  const li = el("li", {
    className: `question${question.pinned ? " is-pinned" : ""}${question.status === "answered" ? " is-answered" : ""}`,
    dataset: { questionId: id },
  });
  const body = el("div", { className: "q-body" }, [
    question.pinned ? el("span", { className: "tag tag-host", text: _("置顶") }) : null,
    el("span", { className: "q-text", typed: question.text }),
    el("span", { className: "q-user", typed: question.user }),
  ]);
  if (question.answer) {
    body.append(el("p", { className: "q-answer" }, [el("b", { text: _("主播回答：") }), el("span", { typed: question.answer })]));
  }
  const vote = el("button", {
    className: "btn btn-vote",
    attrs: { type: "button", "aria-label": _("我也想问") },
  }, [el("span", { className: "vote-icon", text: "▲" }), el("span", { className: "q-votes", text: question.upvotes })]);
  vote.disabled = userId === null || votedQuestions.has(id);
  vote.addEventListener("click", () => {
    vote.disabled = true;
    connection.send({ type: "upvote", question_id: Number(question.id) });
  });
  li.append(body, vote);
  return li;
}

connection.start();
shop.loadShelf();
perks.load();
redPackets.load(roomId);
resumePayment();
window.liveshopRoom = { connection, chat, shop, perks, gifts, redPackets }; // for debugging in the console

/** Back from the third-party wallet's page: ?order=..&payment=.. shows how the payment ended. */
function resumePayment() {
  const query = new URLSearchParams(location.search);
  const orderId = Number(query.get("order"));
  const paymentId = Number(query.get("payment"));
  if (userId === null || !Number.isSafeInteger(orderId) || !Number.isSafeInteger(paymentId) || orderId <= 0 || paymentId <= 0) return;
  history.replaceState(null, "", location.pathname + (query.get("transport") ? `?transport=${encodeURIComponent(query.get("transport"))}` : ""));
  checkout.resumePayment(orderId, paymentId);
} // for debugging in the console
