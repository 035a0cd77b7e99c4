// The moderation queue: reports with their evidence (the message, the chat around it, the
// room and time), claim, then decide (dismiss, or act with a penalty); chat lines the filter
// held (publish to the room, or reject); and pending appeals, decided by a moderator other
// than the one who imposed the penalty.
import { _, api, el, shortDateTime, toast, typedWords } from "./common.js";

const $ = (id) => document.getElementById(id);
const root = $("moderation-root");
const me = Number(root.dataset.moderatorId);

const TARGETS = { comment: _("评论"), room: _("直播间"), product: _("商品"), user: _("用户"), review: _("评价") };
const REASONS = {
  spam: _("垃圾信息"), abuse: _("辱骂"), porn: _("色情"), gambling: _("赌博"), drugs: _("毒品"), violence: _("暴力"),
  fraud: _("欺诈"), off_platform_trading: _("站外交易"), false_advertising: _("虚假宣传"), counterfeit: _("假冒"),
  minor_safety: _("未成年人安全"), other: _("其他"),
};
const STATUSES = { open: _("待处理"), claimed: _("处理中"), actioned: _("已处罚"), dismissed: _("已驳回") };
// The actions a decision may take; "" dismisses the report.
const ACTIONS = [
  ["", _("驳回（不处罚）")],
  ["delete_comment", _("删除评论")],
  ["mute", _("禁言（分钟）")],
  ["warning", _("警告主播")],
  ["limit_exposure", _("限流（天，可空）")],
  ["stop_room", _("关闭直播间")],
  ["fine", _("罚款（元，从保证金扣）")],
  ["suspension", _("暂停（天）")],
  ["ban", _("封禁")],
];
const KINDS = Object.fromEntries(ACTIONS.filter(([kind]) => kind));
const ERRORS = {
  claimed: _("其他审核员正在处理，或已结案"),
  not_claimed: _("请先认领（或已被处理）"),
  same_moderator: _("您作出的处罚，其申诉须由其他审核员决定"),
  appeal_decided: _("该申诉已被处理"),
  minutes_required: _("禁言需填写分钟数"),
  days_required: _("暂停需填写天数"),
  amount_required: _("罚款需填写金额"),
  comment_decided: _("该评论已被处理"),
  own_comment: _("您自己的发言须由其他审核员处理"),
};
const CATEGORIES = { violence: _("暴力"), abuse: _("辱骂"), off_platform: _("站外交易"), porn: _("色情"), gambling: _("赌博"), drugs: _("毒品") };

function message(error) {
  return ERRORS[error.code] || error.message || _("操作失败");
}

function showError(id, error) {
  $(id).textContent = message(error);
  $(id).hidden = false;
}

/** A user by name when the evidence knows it ("alice（#4）"), else by number. */
function person(name, id) {
  if (name) return id ? _("{name}（#{id}）", { name, id }) : name;
  return id ? `#${id}` : null;
}

function fact(label, value) {
  if (value === null || value === undefined || value === "") return null;
  return el("span", { className: "pill", text: `${label} ${value}` });
}

/** The reported message and the chat around it: the reporter's copy, or what the platform captured. */
function evidenceView(report) {
  const evidence = report.evidence || {};
  const captured = evidence.captured || {};
  const reported = evidence.reported || {};
  const messageText = captured.message || reported.message || captured.title || "";
  const at = captured.at || reported.at;
  const context = (captured.context && captured.context.length ? captured.context : reported.context) || [];
  const parts = [];
  if (messageText) parts.push(el("div", { className: "evidence-message", typed: messageText }));
  const facts = el("div", { className: "report-head" }, [
    fact(_("房间"), report.room_id ?? reported.room_id ?? captured.room_id),
    fact(_("发言时间"), at ? shortDateTime(at) : ""),
    fact(_("被举报用户"), person(captured.author, report.accused_user_id ?? reported.author_id)),
    fact(_("店铺"), report.accused_shop_id),
    fact(_("直播状态"), captured.status),
  ]);
  parts.push(facts);
  if (context.length) {
    parts.push(el("div", { className: "muted", text: _("前后聊天：") }));
    parts.push(
      el(
        "ol",
        { className: "evidence-context" },
        context.map((line) =>
          el("li", { className: line.text === messageText ? "is-reported" : "" }, [
            el("span", { className: "muted", text: `${line.at ? shortDateTime(line.at) : ""} ${person(line.author, line.author_id) ?? "?"} ` }),
            el("span", { typed: line.text ?? "" }),
          ]),
        ),
      ),
    );
  }
  return el("div", { className: "evidence" }, parts);
}

function numberInput(className, placeholder) {
  return el("input", { className, attrs: { type: "number", min: 1, step: 1, placeholder, "aria-label": placeholder } });
}

function decisionForm(report) {
  const kind = el("select", { className: "decide-kind", attrs: { "aria-label": _("处理方式") } }, ACTIONS.map(([value, label]) => el("option", { text: label, attrs: { value } })));
  const rule = el("input", { className: "decide-rule", attrs: { maxlength: 200, placeholder: _("违反的规则，如《直播间规范》第 3 条"), "aria-label": _("违反的规则") } });
  const minutes = numberInput("decide-minutes", _("分钟"));
  const days = numberInput("decide-days", _("天数"));
  const yuan = numberInput("decide-amount", _("金额（元）"));
  const resolution = el("input", { className: "decide-resolution", attrs: { required: "", maxlength: 2000, placeholder: _("处理说明"), "aria-label": _("处理说明") } });
  const submit = el("button", { className: "btn btn-primary decide-submit", text: _("提交决定"), attrs: { type: "submit" } });
  const form = el("form", { className: "decide-form grid-form" }, [
    el("label", { text: _("处理方式") }, [kind]),
    el("label", { text: _("规则") }, [rule]),
    el("label", { text: _("禁言分钟") }, [minutes]),
    el("label", { text: _("天数") }, [days]),
    el("label", { text: _("罚款金额（元）") }, [yuan]),
    el("label", { text: _("处理说明") }, [resolution]),
    el("div", { className: "wide" }, [submit]),
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { resolution: resolution.value.trim() };
    if (kind.value) {
      if (!rule.value.trim()) {
        showError("queue-error", { message: _("处罚须写明违反的规则") });
        rule.focus();
        return;
      }
      const action = { kind: kind.value, rule: rule.value.trim() };
      if (minutes.value) action.minutes = Number(minutes.value);
      if (days.value) action.days = Number(days.value);
      if (yuan.value) action.amount = Math.round(Number(yuan.value) * 100);
      body.action = action;
    }
    submit.disabled = true;
    try {
      const decision = await api("POST", `/api/moderation/reports/${report.id}/decision`, body);
      toast(decision.penalty ? _("已处罚：{kind}", { kind: KINDS[decision.penalty.kind] || decision.penalty.kind }) : _("已驳回"));
      await loadQueue();
    } catch (error) {
      showError("queue-error", error);
      submit.disabled = false;
    }
  });
  return form;
}

/** What was reported: a comment by its kind alone (its 63-bit id tells a person nothing). */
function targetLabel(report) {
  const kind = TARGETS[report.target_type] || _("内容");
  return report.target_type === "comment" ? kind : `${kind} ${report.target_id}`;
}

function reportCard(report) {
  const mine = report.status === "claimed" && report.claimed_by === me;
  const head = el("div", { className: "report-head" }, [
    el("strong", { text: `#${report.id} ${targetLabel(report)}` }),
    el("span", { className: "tag tag-notice", text: REASONS[report.reason] || report.reason }),
    el("span", { className: "report-status", text: STATUSES[report.status] || report.status }),
    el("span", { className: "muted", text: _("举报于 {time}", { time: shortDateTime(report.created_at) }) }),
  ]);
  const children = [head, evidenceView(report)];
  if (report.details) children.push(el("p", { className: "report-details", text: _("举报说明：{details}", { details: report.details }) }));
  if (mine) {
    children.push(decisionForm(report));
  } else if (report.status === "open" || report.status === "claimed") {
    const claim = el("button", { className: "btn btn-primary claim-btn", text: report.status === "claimed" ? _("由 #{id} 处理中 · 接手", { id: report.claimed_by }) : _("认领"), attrs: { type: "button" } });
    claim.addEventListener("click", async () => {
      claim.disabled = true;
      try {
        await api("POST", `/api/moderation/reports/${report.id}/claim`);
        await loadQueue();
      } catch (error) {
        showError("queue-error", error);
        claim.disabled = false;
      }
    });
    children.push(claim);
  }
  return el("article", { className: "report-card", dataset: { reportId: report.id, status: report.status } }, children);
}

async function loadQueue() {
  $("queue-error").hidden = true;
  const reports = await api("GET", "/api/moderation/queue?limit=100");
  $("queue").replaceChildren(...reports.map(reportCard));
  $("queue-empty").hidden = reports.length > 0;
  $("queue-count").textContent = _("{count} 条待处理", { count: reports.length });
}

function appealCard(item) {
  const { appeal, penalty } = item;
  const head = el("div", { className: "appeal-head" }, [
    el("strong", { text: _("申诉 #{id}", { id: appeal.id }) }),
    el("span", { className: "tag tag-notice", text: KINDS[penalty.kind] || penalty.kind }),
    el("span", { className: "muted", text: _("处罚 #{id} · {subject} #{subject_id} · 提交于 {time}", { id: penalty.id, subject: penalty.subject_type === "shop" ? _("店铺") : _("用户"), subject_id: penalty.subject_id, time: shortDateTime(appeal.created_at) }) }),
  ]);
  const children = [
    head,
    el("p", { className: "appeal-rule" }, typedWords(_("规则：{rule}"), {}, { rule: penalty.rule })),
    el("p", { className: "appeal-statement" }, typedWords(_("申诉理由：{statement}"), {}, { statement: appeal.statement })),
  ];
  if (!item.may_decide) {
    children.push(el("p", { className: "muted appeal-own", text: _("这是您作出（或相关）的处罚，须由其他审核员处理") }));
  } else {
    const note = el("input", { className: "appeal-note", attrs: { maxlength: 2000, placeholder: _("决定说明"), "aria-label": _("决定说明") } });
    const decide = (overturn) => async () => {
      try {
        await api("POST", `/api/moderation/appeals/${appeal.id}/decision`, { overturn, note: note.value.trim() });
        toast(overturn ? _("已撤销处罚") : _("已维持处罚"));
        await loadAppeals();
      } catch (error) {
        showError("appeals-error", error);
      }
    };
    const uphold = el("button", { className: "btn appeal-uphold", text: _("维持处罚"), attrs: { type: "button" } });
    const overturn = el("button", { className: "btn btn-primary appeal-overturn", text: _("撤销处罚"), attrs: { type: "button" } });
    uphold.addEventListener("click", decide(false));
    overturn.addEventListener("click", decide(true));
    children.push(el("div", { className: "inline-row" }, [note, uphold, overturn]));
  }
  return el("article", { className: "appeal-card", dataset: { appealId: appeal.id, mayDecide: String(item.may_decide) } }, children);
}

async function loadAppeals() {
  $("appeals-error").hidden = true;
  const cases = await api("GET", "/api/moderation/appeal-cases");
  $("appeals").replaceChildren(...cases.map(appealCard));
  $("appeals-empty").hidden = cases.length > 0;
}

function heldCard(line) {
  const head = el("div", { className: "report-head" }, [
    el("strong", {}, [el("span", { typed: line.user }), ` #${line.user_id}`]),
    ...line.categories.map((category) => el("span", { className: "tag tag-notice", text: CATEGORIES[category] || category })),
    el("span", { className: "muted" }, typedWords(_("{room}（房间 {id}）· {time}"), { id: line.room_id, time: shortDateTime(line.at) }, { room: line.room_title })),
  ]);
  const note = el("input", { className: "held-note", attrs: { maxlength: 500, placeholder: _("说明（可空）"), "aria-label": _("说明") } });
  const decide = (verdict) => async () => {
    try {
      await api("POST", `/api/moderation/held-comments/${line.id}/${verdict}`, { note: note.value.trim() });
      toast(verdict === "approve" ? _("已发布到直播间") : _("已拒绝"));
      await loadHeld();
    } catch (error) {
      showError("held-error", error);
    }
  };
  const reject = el("button", { className: "btn held-reject", text: _("拒绝"), attrs: { type: "button" } });
  const approve = el("button", { className: "btn btn-primary held-approve", text: _("发布"), attrs: { type: "button" } });
  reject.addEventListener("click", decide("reject"));
  approve.addEventListener("click", decide("approve"));
  return el("article", { className: "report-card held-card", dataset: { commentId: line.id } }, [
    head,
    el("div", { className: "evidence-message", typed: line.text }),
    el("div", { className: "inline-row" }, [note, reject, approve]),
  ]);
}

async function loadHeld() {
  $("held-error").hidden = true;
  const lines = await api("GET", "/api/moderation/held-comments?limit=100");
  $("held").replaceChildren(...lines.map(heldCard));
  $("held-empty").hidden = lines.length > 0;
  $("held-count").textContent = _("{count} 条待审", { count: lines.length });
}

$("queue-refresh").addEventListener("click", () => loadQueue().catch((error) => showError("queue-error", error)));
$("held-refresh").addEventListener("click", () => loadHeld().catch((error) => showError("held-error", error)));

Promise.all([
  loadQueue().catch((error) => showError("queue-error", error)),
  loadHeld().catch((error) => showError("held-error", error)),
  loadAppeals().catch((error) => showError("appeals-error", error)),
]).then(() => {
  root.dataset.state = "ready";
});
