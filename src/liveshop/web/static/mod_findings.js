// Shared by the pre-live check and the merchant's compliance page: one advertising-law
// finding (term, category, rule, severity, suggestion) as DOM built with textContent only.
import { el } from "./common.js";

export const ACTIONS = { allow: "通过", review: "需人工复核", block: "须修改" };
const SEVERITIES = { low: "低", medium: "中", high: "高" };
const CATEGORIES = {
  superlative: "最高级用语",
  ranking: "排名用语",
  top_grade: "顶级用语",
  authority: "权威用语",
  certainty: "绝对化承诺",
  exclusivity: "独家用语",
  preference: "首选用语",
  urgency: "制造紧迫感",
  category: "类别用语",
  efficacy: "功效宣称",
  medical: "医疗用语",
  price_comparison: "虚假价格比较",
};
const EXEMPTIONS = {
  consumer_tip: "消费提示",
  brand_name: "注册品牌/商品名",
  standard_grade: "标准等级",
  self_comparison: "自我比较",
};

export function findingView(finding) {
  const children = [
    el("div", {}, [
      el("span", { className: "finding-term", text: `「${finding.term}」` }),
      el("span", { className: "tag tag-notice", text: ACTIONS[finding.action] || finding.action }),
      el("span", { className: "muted", text: `${CATEGORIES[finding.category] || finding.category} · 严重程度 ${SEVERITIES[finding.severity] || finding.severity}` }),
    ]),
    el("div", { className: "finding-rule", text: `规则：${finding.rule}` }),
    el("div", { className: "finding-suggestion", text: `建议：${finding.suggestion}` }),
  ];
  if (finding.exemption) {
    children.push(el("div", { className: "muted", text: `可能属于例外（${EXEMPTIONS[finding.exemption] || finding.exemption}），将由审核员确认` }));
  }
  return el("div", { className: "finding", dataset: { action: finding.action, term: finding.term } }, children);
}

export function namesFrom(text) {
  return text.split(/[,，、\n]/).map((name) => name.trim()).filter(Boolean).slice(0, 50);
}
