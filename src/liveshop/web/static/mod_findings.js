// Shared by the pre-live check and the merchant's compliance page: one advertising-law
// finding (term, category, rule, severity, suggestion) as DOM built with textContent only.
import { _, el, typedWords } from "./common.js";

export const ACTIONS = { allow: _("通过"), review: _("需人工复核"), block: _("须修改") };
const SEVERITIES = { low: _("低"), medium: _("中"), high: _("高") };
const CATEGORIES = {
  superlative: _("最高级用语"),
  ranking: _("排名用语"),
  top_grade: _("顶级用语"),
  authority: _("权威用语"),
  certainty: _("绝对化承诺"),
  exclusivity: _("独家用语"),
  preference: _("首选用语"),
  urgency: _("制造紧迫感"),
  category: _("类别用语"),
  efficacy: _("功效宣称"),
  medical: _("医疗用语"),
  price_comparison: _("虚假价格比较"),
};
const EXEMPTIONS = {
  consumer_tip: _("消费提示"),
  brand_name: _("注册品牌/商品名"),
  standard_grade: _("标准等级"),
  self_comparison: _("自我比较"),
};

export function findingView(finding) {
  const children = [
    el("div", {}, [
      el("span", { className: "finding-term", text: `「${finding.term}」` }),
      el("span", { className: "tag tag-notice", text: ACTIONS[finding.action] || finding.action }),
      el("span", { className: "muted", text: `${CATEGORIES[finding.category] || finding.category} · ${_("严重程度 {severity}", { severity: SEVERITIES[finding.severity] || finding.severity })}` }),
    ]),
    el("div", { className: "finding-rule" }, typedWords(_("规则：{rule}"), {}, { rule: finding.rule })),
    el("div", { className: "finding-suggestion", text: _("建议：{suggestion}", { suggestion: finding.suggestion }) }),
  ];
  if (finding.exemption) {
    children.push(el("div", { className: "muted", text: _("可能属于例外（{exemption}），将由审核员确认", { exemption: EXEMPTIONS[finding.exemption] || finding.exemption }) }));
  }
  return el("div", { className: "finding", dataset: { action: finding.action, term: finding.term } }, children);
}

export function namesFrom(text) {
  return text.split(/[,，、\n]/).map((name) => name.trim()).filter(Boolean).slice(0, 50);
}
