// The host's pre-live check: a pasted script or an uploaded subtitle file (SRT), checked cue
// by cue against advertising law; each flagged cue shows its timestamps and findings.
// Also the host's warnings in force.
import { _, api, el, shortDateTime, typedWords } from "./common.js";
import { ACTIONS, findingView, namesFrom } from "./mod_findings.js";

const $ = (id) => document.getElementById(id);
const root = $("prelive-root");
const MAX_FILE_BYTES = 2 * 1024 * 1024;

function showError(id, error) {
  $(id).textContent = error.message || _("操作失败");
  $(id).hidden = false;
}

function timeLabel(cue) {
  if (cue.start && cue.end) return `${cue.start} → ${cue.end}`;
  if (cue.start) return cue.start;
  return _("第 {line} 行", { line: cue.line });
}

function cueCard(cue) {
  return el("article", { className: "cue-card", dataset: { line: cue.line, action: cue.action } }, [
    el("div", {}, [
      el("span", { className: "cue-time", text: timeLabel(cue) }),
      el("span", { className: "tag tag-notice", text: ACTIONS[cue.action] || cue.action }),
    ]),
    el("p", { className: "cue-text", typed: cue.text }),
    ...cue.findings.map(findingView),
  ]);
}

function showResults(cues) {
  $("results-panel").hidden = false;
  $("results").replaceChildren(...cues.map(cueCard));
  const findings = cues.reduce((sum, cue) => sum + cue.findings.length, 0);
  $("results-summary").textContent = cues.length ? _("{cues} 处需处理，共 {findings} 个问题", { cues: cues.length, findings }) : _("未发现问题，可以开播");
  root.dataset.state = "checked";
}

$("script-file").addEventListener("change", async () => {
  const file = $("script-file").files[0];
  if (!file) return;
  if (file.size > MAX_FILE_BYTES) {
    showError("script-error", { message: _("文件过大（最大 2 MB）") });
    return;
  }
  $("script-input").value = await file.text();
});

$("script-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("script-error").hidden = true;
  const script = $("script-input").value;
  if (!script.trim()) {
    showError("script-error", { message: _("请粘贴话术或上传字幕文件") });
    return;
  }
  $("script-check").disabled = true;
  root.dataset.state = "checking";
  try {
    const result = await api("POST", "/api/host/script-check", { script, registered_names: namesFrom($("script-names").value) });
    showResults(result.cues);
  } catch (error) {
    showError("script-error", error);
    root.dataset.state = "ready";
  } finally {
    $("script-check").disabled = false;
  }
});

const KINDS = { warning: _("警告"), mute: _("禁言"), limit_exposure: _("限流"), suspension: _("暂停"), fine: _("罚款"), stop_room: _("关闭直播间"), ban: _("封禁"), delete_comment: _("删除评论") };

async function loadWarnings() {
  const warnings = await api("GET", "/api/penalties/warnings");
  $("warnings").replaceChildren(
    ...warnings.map((w) =>
      el("li", { className: "panel warning-item", dataset: { penaltyId: w.id } }, [
        el("strong", {}, typedWords(_("{kind}：{rule}"), { kind: KINDS[w.kind] || w.kind }, { rule: w.rule })),
        el("div", { className: "muted", text: (w.ends_at ? _("{start} 起，至 {end}", { start: shortDateTime(w.starts_at), end: shortDateTime(w.ends_at) }) : _("{start} 起", { start: shortDateTime(w.starts_at) })) + " · " + _("违规分 {points} · 申诉截止 {deadline}", { points: w.points, deadline: shortDateTime(w.appeal_deadline) }) }),
      ]),
    ),
  );
  $("warnings-empty").hidden = warnings.length > 0;
}

const APPEAL_ERRORS = {
  appeal_exists: _("已提交过申诉"),
  appeal_too_late: _("已过申诉截止时间"),
  penalty_revoked: _("该处罚已撤销"),
};

function penaltyCard(p) {
  const open = !p.revoked_at && new Date(p.appeal_deadline) > new Date();
  const children = [
    el("strong", {}, typedWords(_("{kind}：{rule}"), { kind: KINDS[p.kind] || p.kind }, { rule: p.rule })),
    el("div", { className: "muted", text: [shortDateTime(p.starts_at), _("违规分 {points}", { points: p.points }), p.revoked_at ? _("已撤销") : null, _("申诉截止 {deadline}", { deadline: shortDateTime(p.appeal_deadline) })].filter(Boolean).join(" · ") }),
  ];
  const evidence = p.evidence || {};
  const said = (evidence.reported && evidence.reported.message) || (evidence.captured && evidence.captured.message);
  if (said) children.push(el("div", { className: "penalty-evidence" }, typedWords(_("证据：{said}"), {}, { said })));
  if (open) {
    const statement = el("input", { className: "appeal-statement", attrs: { maxlength: 4000, required: "", placeholder: _("申诉理由"), "aria-label": _("申诉理由") } });
    const submit = el("button", { className: "btn appeal-submit", text: _("申诉"), attrs: { type: "submit" } });
    const form = el("form", { className: "inline-row appeal-form" }, [statement, submit]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await api("POST", `/api/penalties/${p.id}/appeal`, { statement: statement.value.trim() });
        form.replaceWith(el("p", { className: "muted appeal-filed", text: _("申诉已提交，等待审核员处理") }));
      } catch (error) {
        showError("penalties-error", { message: APPEAL_ERRORS[error.code] || error.message });
        submit.disabled = false;
      }
    });
    children.push(form);
  }
  return el("article", { className: "panel penalty-item", dataset: { penaltyId: p.id } }, children);
}

async function loadPenalties() {
  const penalties = await api("GET", "/api/penalties/mine");
  $("penalties").replaceChildren(...penalties.map(penaltyCard));
  $("penalties-empty").hidden = penalties.length > 0;
}

// A score's deductions in the page's words, from the figures behind each (governance/scores.py);
// the API's detail is English.
const SCORE_REASONS = {
  violations: (f) => _("近 {days} 天违规记分 {points} 分", f),
  complaint_rate: (f) => _("{orders} 笔订单中 {percent}% 被投诉", f),
  refund_rate: (f) => _("{orders} 笔订单中 {percent}% 退款", f),
  failed_inspections: (f) => _("近 {days} 天抽检不合格 {count} 次", f),
  low_rating: (f) => _("{reviews} 条评价平均 {stars} 星", { reviews: f.reviews, stars: (f.stars_tenths / 10).toFixed(1) }),
};

function scoreReason(reason) {
  const words = SCORE_REASONS[reason.code];
  return `-${reason.deduction} ${words ? words(reason.figures) : _("其他扣分")}`;
}

async function loadScore() {
  const scores = await api("GET", "/api/scores/mine");
  if (!scores.host) {
    $("score").textContent = _("仅主播有信用分");
    return;
  }
  const { value, base, reasons } = scores.host;
  $("score").textContent = `${value} / ${base}${value < scores.flash_sale_min_score ? _("（低于 {score} 分不能开秒杀）", { score: scores.flash_sale_min_score }) : ""}`;
  $("score").dataset.value = String(value);
  $("score-reasons").replaceChildren(...reasons.map((reason) => el("li", { text: scoreReason(reason) })));
}

loadWarnings().catch((error) => showError("warnings-error", error));
loadPenalties().catch((error) => showError("penalties-error", error));
loadScore().catch((error) => {
  $("score").textContent = error.message || _("加载失败");
});
