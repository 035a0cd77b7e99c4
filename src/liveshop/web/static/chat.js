// Chat lines and question lists, shared by the viewer page and the host console.
// Every user-supplied string goes through textContent (see el()).
import { _, clockTime, el, inPageLanguage } from "./common.js";
import { showLine } from "./room_notices.js";

const MAX_LINES = 200;

export function foldedText(comment) {
  return comment.count > 1 ? ` x${comment.count}` : "";
}

export class ChatList {
  /** decorate(li, comment) may add controls (the host's mute and kick buttons). */
  constructor(list, { decorate = null, hostId = null } = {}) {
    this.list = list;
    this.decorate = decorate;
    this.hostId = hostId;
    this.lines = new Map(); // String(id) -> { li, comment }
  }

  has(id) {
    return this.lines.has(String(id));
  }

  /** Add a line, or update the count of one already shown (a fold). Returns "new" | "update". */
  add(comment) {
    const key = String(comment.id);
    const known = this.lines.get(key);
    if (known) {
      const count = Math.max(comment.count || 1, known.comment.count || 1);
      known.comment.count = count;
      known.li.querySelector(".count").textContent = foldedText(known.comment);
      known.li.dataset.count = String(count);
      return "update";
    }
    const stick = this.isAtBottom();
    const li = this.render(comment);
    this.list.append(li);
    this.lines.set(key, { li, comment: { ...comment } });
    while (this.lines.size > MAX_LINES) {
      const [oldest] = this.lines.keys();
      this.lines.get(oldest).li.remove();
      this.lines.delete(oldest);
    }
    if (stick) this.list.scrollTop = this.list.scrollHeight;
    return "new";
  }

  isAtBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
  }

  render(comment) {
    const kind = comment.kind || "comment";
    const isHost = kind === "host" || (this.hostId !== null && comment.user_id === this.hostId);
    const li = el("li", {
      className: `chat-line kind-${kind}`,
      dataset: { id: comment.id, userId: comment.user_id ?? "", count: comment.count || 1 },
    });
    if (kind === "announcement") {
      li.append(el("span", { className: "tag tag-notice", text: _("公告") }));
    } else if (kind === "purchase") {
      li.append(el("span", { className: "tag tag-purchase", text: _("下单") }));
    } else if (kind === "gift") {
      li.append(el("span", { className: "tag tag-gift", text: _("礼物") }));
    } else if (kind === "system") {
      li.append(el("span", { className: "tag tag-system", text: _("系统") }));
    } else if (kind === "assistant") {
      li.append(el("span", { className: "tag tag-assistant", text: _("店铺助手") }));
      li.append(el("span", { className: "user", ...(comment.user ? { typed: comment.user } : { text: _("小助手") }) }));
      if (comment.data?.cites) li.title = _("依据：{source}", { source: comment.data.cites });
    } else {
      if (isHost) li.append(el("span", { className: "tag tag-host", text: _("主播") }));
      li.append(el("span", { className: "user", ...(comment.user ? { typed: comment.user } : { text: _("匿名") }) }));
    }
    li.append(
      showLine(el("span", { className: "text" }), comment),
      el("span", { className: "count", text: foldedText(comment) }),
    );
    if (comment.ts) li.title = clockTime(comment.ts);
    if (this.decorate) this.decorate(li, comment);
    return li;
  }
}

/** Pinned first, then open before answered, then most up-voted, then oldest (as the server). */
export function compareQuestions(a, b) {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  const aOpen = a.status === "open";
  const bOpen = b.status === "open";
  if (aOpen !== bOpen) return aOpen ? -1 : 1;
  if (a.upvotes !== b.upvotes) return b.upvotes - a.upvotes;
  return Number(a.id) - Number(b.id);
}

export class QuestionBoard {
  /** render(question) -> li; the board keeps the list sorted and up to date. */
  constructor(list, render) {
    this.list = list;
    this.renderItem = render;
    this.questions = new Map();
    this.rendered = new Map();
  }

  merge(questions) {
    for (const question of questions || []) this.questions.set(String(question.id), question);
    this.render();
  }

  render() {
    const items = [...this.questions.values()].sort(compareQuestions);
    // Reuse an unchanged question's element, so a half-typed answer survives updates.
    const nodes = items.map((question) => {
      const key = JSON.stringify(question);
      const cached = this.rendered.get(String(question.id));
      if (cached && cached.key === key) return cached.li;
      const li = this.renderItem(question);
      this.rendered.set(String(question.id), { key, li });
      return li;
    });
    this.list.replaceChildren(...nodes);
  }
}

export const STATUS_LABELS = { scheduled: _("未开播"), live: _("直播中"), ended: _("已结束") };
export const ERROR_LABELS = {
  not_authenticated: _("请先登录"),
  room_not_live: _("直播还没开始或已结束"),
  muted: _("你已被禁言"),
  rate_limited: _("发得太快了，歇一会儿"),
  already_voted: _("你已经赞过这个问题"),
  empty_text: _("内容不能为空"),
  text_too_long: _("内容太长了"),
};

/** The viewer's words for a refusal: a known code's label, the server's message when it is
 * in the page's language, never a detail in the other language or a code. */
export function errorText(message) {
  if (ERROR_LABELS[message.code]) return ERROR_LABELS[message.code];
  return inPageLanguage(message.message) ? message.message : _("出错了，请稍后再试");
}
