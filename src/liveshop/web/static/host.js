// The host console: start/end, announcements, the question queue, live counters and a chat
// list with mute and kick; selling (shelf, pinning, flash sales, coupons, draws, orders) is
// in host_shop.js, red packets and earnings in host_money.js.
import { ChatList, QuestionBoard, STATUS_LABELS, errorText } from "./chat.js";
import { _, api, el, formatCount, formatPrice, showTyped, toast } from "./common.js";
import { HostMoney } from "./host_money.js";
import { HostShop } from "./host_shop.js";
import { HostVideo } from "./host_video.js";
import { HostBroadcast } from "./host_broadcast.js";
import { LiveConnection, pageTransport, showConnection } from "./live.js";

const RATE_WINDOW_MS = 60000; // comments per minute: a sliding one-minute window

const root = document.getElementById("host");
const roomId = Number(root.dataset.roomId);
const hostId = Number(root.dataset.hostId);
const base = `/api/rooms/${roomId}`;
const $ = (id) => document.getElementById(id);

const chat = new ChatList($("chat-list"), { hostId, decorate: addRestrictButtons });
const questions = new QuestionBoard($("question-list"), renderQuestion);
const commentTimes = []; // [ms, how many] for each new line or fold seen
let peakViewers = Number($("peak-viewers").textContent) || 0;

function run(action, success) {
  return action.then(
    (result) => {
      if (success) toast(success);
      return result;
    },
    (error) => {
      toast(error.message || _("操作失败"));
      return null;
    },
  );
}

// --- room status ---

function showStatus(status) {
  root.dataset.roomStatus = status;
  const badge = $("room-status");
  badge.textContent = STATUS_LABELS[status] || status;
  badge.className = `badge status-${status}`;
  $("start-btn").disabled = status !== "scheduled";
  $("end-btn").disabled = status === "ended";
}

$("start-btn").addEventListener("click", async () => {
  const room = await run(api("POST", `${base}/start`), _("已开播"));
  if (room) showStatus(room.status);
});

$("end-btn").addEventListener("click", async () => {
  if (!window.confirm(_("确定下播吗？下播后不能再开启本场直播。"))) return;
  const room = await run(api("POST", `${base}/end`), _("已下播"));
  if (room) showStatus(room.status);
});

// --- pinned product ---

function showPinned(card) {
  const box = $("pinned-preview");
  box.hidden = !card;
  showTyped($("pinned-preview-title"), card ? card.title : "");
  $("pinned-preview-price").textContent = card ? formatPrice(card.price, card.currency) : "";
  shop.setPinned(card);
}

const shop = new HostShop({ roomId, onPinned: showPinned });

$("unpin-btn").addEventListener("click", async () => {
  const room = await run(api("DELETE", `${base}/pinned`), _("已取消讲解"));
  if (room) showPinned(room.pinned);
});

// --- announcements ---

$("announce-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("announce-input");
  const text = input.value.trim();
  if (!text) return;
  const comment = await run(api("POST", `${base}/announcements`, { text }), _("公告已发布"));
  if (comment) {
    input.value = "";
    addComment({ count: 1, ...comment });
  }
});

// --- questions ---

function renderQuestion(question) {
  const id = Number(question.id);
  const li = el("li", {
    className: `question${question.pinned ? " is-pinned" : ""}${question.status === "answered" ? " is-answered" : ""}`,
    dataset: { questionId: question.id },
  });
  const head = el("div", { className: "q-body" }, [
    question.pinned ? el("span", { className: "tag tag-host", text: _("置顶") }) : null,
    el("span", { className: "q-text", typed: question.text }),
    el("span", { className: "q-user", typed: question.user }),
    el("span", { className: "q-votes-pill" }, [el("span", { className: "vote-icon", text: "▲" }), el("span", { className: "q-votes", text: question.upvotes })]),
  ]);
  li.append(head);
  if (question.answer) {
    li.append(el("p", { className: "q-answer" }, [el("b", { text: _("已回答：") }), el("span", { typed: question.answer })]));
  }
  const input = el("input", { className: "q-answer-input", attrs: { maxlength: 2000, placeholder: _("输入回答…"), "aria-label": _("回答") } });
  const answer = el("button", { className: "btn btn-small btn-primary q-answer-btn", text: _("回答"), attrs: { type: "submit" } });
  const form = el("form", { className: "q-actions" }, [input, answer]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const updated = await run(api("POST", `${base}/questions/${id}/answer`, { answer: text }), _("已回答"));
    if (updated) questions.merge([updated]);
  });
  const pin = el("button", {
    className: "btn btn-small q-pin-btn",
    text: question.pinned ? _("取消置顶") : _("置顶"),
    attrs: { type: "button" },
  });
  pin.addEventListener("click", async () => {
    const method = question.pinned ? "DELETE" : "PUT";
    const updated = await run(api(method, `${base}/questions/${id}/pinned`));
    if (updated) await loadQuestions();
  });
  form.append(pin);
  li.append(form);
  return li;
}

async function loadQuestions() {
  const list = await run(api("GET", `${base}/questions`));
  if (list) {
    questions.questions.clear();
    questions.merge(list);
  }
}

// --- chat with mute and kick ---

function restrictMinutes() {
  const minutes = Number($("restrict-minutes").value);
  return Number.isInteger(minutes) && minutes >= 1 ? minutes : 10;
}

function addRestrictButtons(li, comment) {
  if (comment.kind !== "comment" || !comment.user_id || comment.user_id === hostId) return;
  const actions = el("span", { className: "line-actions" });
  for (const [kind, label, path] of [["mute", _("禁言"), "mutes"], ["kick", _("踢出"), "kicks"]]) {
    const button = el("button", {
      className: `btn btn-small btn-${kind}`,
      text: label,
      attrs: { type: "button", "data-action": kind },
    });
    button.addEventListener("click", async () => {
      const minutes = restrictMinutes();
      const done = await run(
        api("POST", `${base}/${path}`, { user_id: comment.user_id, minutes }),
        _("已{action} {user} {minutes} 分钟", { action: label, user: comment.user, minutes }),
      );
      if (done) li.classList.add(`was-${kind}`);
    });
    actions.append(button);
  }
  li.append(actions);
}

function addComment(comment) {
  const before = chat.lines.get(String(comment.id));
  const previous = before ? before.comment.count || 1 : 0;
  const result = chat.add(comment);
  const added = result === "new" ? 1 : Math.max(0, (comment.count || 1) - previous);
  if (added) commentTimes.push([Date.now(), added]);
}

function showRate() {
  const cutoff = Date.now() - RATE_WINDOW_MS;
  while (commentTimes.length && commentTimes[0][0] < cutoff) commentTimes.shift();
  const total = commentTimes.reduce((sum, [, count]) => sum + count, 0);
  $("comments-per-minute").textContent = formatCount(total);
}
setInterval(showRate, 1000);

// --- the live connection ---

function applyCounters(message) {
  $("viewer-count").textContent = formatCount(message.viewers);
  $("like-total").textContent = formatCount(message.likes);
  peakViewers = Math.max(peakViewers, message.viewers);
  $("peak-viewers").textContent = formatCount(peakViewers);
}

const connection = new LiveConnection(roomId, {
  transport: pageTransport(),
  uncounted: true, // the host is not one of their own room's viewers
  onState: (state, transport) => showConnection($("conn"), state, transport),
  onMessage(message) {
    if (message.type === "snapshot") {
      for (const comment of message.comments) chat.add(comment); // history: not in the rate
      showStatus(message.status);
      applyCounters(message);
      showPinned(message.pinned);
      shop.applyNotices(message.notices);
      money.applyNotices(message.notices);
    } else if (message.type === "frame") {
      for (const comment of message.comments) addComment(comment);
      if (message.status !== root.dataset.roomStatus) showStatus(message.status);
      applyCounters(message);
      showPinned(message.pinned);
      if (Object.keys(message.notices || {}).length) {
        shop.applyNotices(message.notices);
        money.applyNotices(message.notices);
      }
      if (message.questions.length) questions.merge(message.questions);
      showRate();
    } else if (message.type === "error") {
      toast(errorText(message));
    }
  },
});

const money = new HostMoney({ roomId });

loadQuestions();
shop.start();
money.start();
connection.start();

new HostVideo({ roomId, onRoomStatus: showStatus });
new HostBroadcast({ roomId });
