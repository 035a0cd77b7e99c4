import { _, api, el, typedWords } from "./common.js";

const root = document.getElementById("assistant-root");
const roomId = root.dataset.roomId;
const error = document.getElementById("assistant-error");
const POLL_MS = 2000;

/** A list item of `words` (a string, or nodes: what people typed says its language). */
function item(words, extra) {
  const li = document.createElement("li");
  li.append(...[].concat(words));
  if (extra) li.append(extra);
  return li;
}

function correction(reply) {
  const form = document.createElement("form");
  form.className = "correction";
  const input = Object.assign(document.createElement("input"), {
    value: reply.answer || reply.suggestion || "", maxLength: 1000, required: true,
  });
  const button = Object.assign(document.createElement("button"), {
    type: "submit", className: "btn btn-ghost", textContent: reply.answered ? _("更正") : _("按此回答"),
  });
  form.append(input, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", `/api/rooms/${roomId}/assistant/corrections`, {
        reply_id: reply.id, answer: input.value.trim(),
      });
      button.textContent = _("已加入常见问题");
      button.disabled = true;
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  });
  return form;
}

/** The last minute in the page's language, from the figures (insights.room_insights writes
 * its text in Chinese for the API), with the viewers' words as they typed them: nodes. */
function summaryWords(insights) {
  const { lines, questions, buying_intent: intent, top_words: said } = insights.summary;
  const nodes = [_("最近一分钟 {lines} 条弹幕，{questions} 个提问，{intent} 条购买意向", { lines, questions, intent })];
  if (said.length) {
    const list = said.flatMap((word, index) => [index ? _("、") : "", el("span", { typed: word })]);
    nodes.push(...typedWords(_("；大家在说：{words}"), { words: list }));
  }
  const [top] = insights.question_groups;
  if (top && top.count > 1) nodes.push(...typedWords(_("；问得最多：“{text}”（{count} 次）"), { count: top.count }, { text: top.text }));
  return nodes;
}

function render(state) {
  document.getElementById("assistant-enabled").textContent = state.enabled ? _("已开启") : _("已关闭");
  const insights = state.insights;
  document.getElementById("chat-summary").replaceChildren(...summaryWords(insights));
  document.getElementById("question-groups").replaceChildren(
    ...insights.question_groups.map((group) => item([el("span", { typed: group.text }), ` ×${group.count}`])),
  );
  document.getElementById("buying-intent").replaceChildren(
    ...insights.buying_intent.map((line) =>
      item(typedWords(_("{user}：{text}"), line.user ? {} : { user: _("观众") }, line.user ? { user: line.user, text: line.text } : { text: line.text })),
    ),
  );
  const replies = document.getElementById("replies");
  if (document.activeElement && replies.contains(document.activeElement)) return; // typing
  replies.replaceChildren(
    ...state.replies.map((reply) => {
      const said = reply.answered ? typedWords(_("助手已答：{answer}"), {}, { answer: reply.answer }) : [_("待主播回答")];
      const li = item(["“", el("span", { typed: reply.text }), "” — ", ...said]);
      if (reply.corrected_faq_id === null) li.append(correction(reply));
      return li;
    }),
  );
}

async function poll() {
  try {
    render(await api("GET", `/api/rooms/${roomId}/assistant`));
    root.dataset.state = "ready";
    error.hidden = true;
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
  setTimeout(poll, POLL_MS);
}
poll();
