// 举报: a viewer reports a chat line (tap it) or the room (the 举报 button by the chat) with a
// reason from a short list; the report goes to the moderation queue (POST /api/reports).
import { _, api, el, toast, typedWords } from "./common.js";
import { openSheet, closeSheets } from "./commerce.js";

const REASONS = [
  ["abuse", _("辱骂攻击")],
  ["spam", _("垃圾广告")],
  ["porn", _("色情低俗")],
  ["fraud", _("诈骗")],
  ["off_platform_trading", _("引导私下交易")],
  ["false_advertising", _("虚假宣传")],
  ["counterfeit", _("假冒商品")],
  ["minor_safety", _("危害未成年人")],
  ["other", _("其他")],
];
const ERRORS = {
  already_reported: _("你已经举报过了，我们正在处理"),
  not_authenticated: _("请先登录"),
  wrong_role: _("你的账号不能举报"),
  rate_limited: _("操作太频繁，请稍后再试"),
};
const REPORTABLE_KINDS = ["comment"];

const $ = (id) => document.getElementById(id);
const root = $("room");
const roomId = Number(root.dataset.roomId);
const userId = Number(root.dataset.userId);
const sheet = $("report-sheet");
let target = null; // { type, id, evidence }

function fillReasons() {
  const list = $("report-reasons");
  list.replaceChildren(
    ...REASONS.map(([value, label], index) =>
      el("label", { className: "report-reason" }, [
        el("input", { attrs: { type: "radio", name: "reason", value, ...(index === 0 ? { checked: "" } : {}) } }),
        el("span", { text: label }),
      ]),
    ),
  );
}

/** Only a signed-in viewer's page loads this module (room.html). `quote`: what is reported, as
 * nodes (what people typed says its language). */
function open(next, quote) {
  target = next;
  $("report-subject").replaceChildren(...quote);
  $("report-details").value = "";
  $("report-done").hidden = true;
  $("report-form").hidden = false;
  openSheet(sheet);
}

/** A tap on someone else's chat line offers to report it. */
function onChatTap(event) {
  const li = event.target.closest(".chat-line");
  if (!li || !REPORTABLE_KINDS.some((kind) => li.classList.contains(`kind-${kind}`))) return;
  const authorId = Number(li.dataset.userId);
  if (!li.dataset.id || authorId === userId) return;
  const user = li.querySelector(".user")?.textContent || "";
  const text = li.querySelector(".text")?.textContent || "";
  const evidence = { message: text, room_id: roomId, ...(authorId > 0 ? { author_id: authorId } : {}) };
  // a 63-bit id stays a string (JSON numbers would round it); the API reads the digits
  open({ type: "comment", id: li.dataset.id, evidence }, typedWords(_("举报评论：{user}：{text}"), {}, { user, text }));
}

async function submit(event) {
  event.preventDefault();
  if (!target) return;
  const reason = new FormData($("report-form")).get("reason");
  const button = $("report-send");
  button.disabled = true;
  try {
    await api("POST", "/api/reports", {
      target_type: target.type,
      target_id: target.id,
      reason,
      details: $("report-details").value.trim(),
      evidence: target.evidence,
    });
    $("report-form").hidden = true;
    $("report-done").hidden = false;
  } catch (error) {
    toast(ERRORS[error.code] || _("举报没有提交成功，请稍后再试"));
  } finally {
    button.disabled = false;
  }
}

fillReasons();
$("chat-list").addEventListener("click", onChatTap);
$("report-room").addEventListener("click", () =>
  open({ type: "room", id: roomId, evidence: { room_id: roomId } }, typedWords(_("举报直播间：{title}"), {}, { title: $("room-title").textContent })),
);
$("report-form").addEventListener("submit", submit);
$("report-close").addEventListener("click", closeSheets);
