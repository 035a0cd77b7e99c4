// An audit entry as the regulator reads it: its action, its actor and subject in the page's
// words and its details as a key/value list with named keys (issue 18), not the stored JSON
// nor references such as "user:4". A key or action with no name here shows as stored; a
// reference of a kind with no name shows as a record (the stored reference is its title).
import { _, el, fullDateTime, isIsoMoment } from "./common.js";

const ACTIONS = {
  announce: _("发布公告"), block: _("拦截"), end: _("下播"), start: _("开播"), pin: _("置顶讲解"), reveal: _("查看密钥"),
  rotate: _("轮换密钥"), shred: _("销毁密钥"),
  "enforcement.appeal_filed": _("提交申诉"), "enforcement.revoked": _("撤销处罚"),
  "identity.verified": _("实名认证"), "inspection.sampled": _("抽检取样"), "listing.approve": _("商品审核通过"),
  "moderation.report_claimed": _("认领举报"), "privacy.erase": _("删除个人信息"), "privacy.export": _("导出个人信息"),
  "privacy.retention": _("到期清理"), "qualification.submitted": _("提交资质"), "regulator.read": _("监管查阅"),
  "vault.reveal": _("查看银行卡信息"),
  "chat.held_approved": _("放行待审评论"), "chat.held_rejected": _("驳回待审评论"),
  "enforcement.appeal_upheld": _("申诉驳回（维持处罚）"), "enforcement.appeal_overturned": _("申诉成立（撤销处罚）"),
  "inspection.pass": _("抽检合格"), "inspection.fail": _("抽检不合格"),
  "moderation.report_actioned": _("举报已处理"), "moderation.report_dismissed": _("举报已驳回"),
  "qualification.approved": _("资质通过"), "qualification.rejected": _("资质驳回"),
  "listing.reject": _("商品审核驳回"),
};

// enforcement.<kind>: a penalty of that kind
const PENALTIES = {
  delete_comment: _("删除评论"), mute: _("禁言"), warning: _("警告"), limit_exposure: _("限流"), stop_room: _("关闭直播间"),
  fine: _("罚款"), suspension: _("暂停"), ban: _("封禁"),
};

const KEYS = {
  adult: _("成年"), amount: _("金额"), anchor_hash: _("锚定哈希"), appeal_id: _("申诉编号"), author: _("作者"),
  category: _("类目"), findings: _("发现"), guardian_consent: _("监护人同意"), inspection_id: _("抽检编号"),
  kind: _("类型"), note: _("备注"), penalty_id: _("处罚编号"), picked: _("抽中"), points: _("违规分"),
  qualification_id: _("资质编号"), rate: _("比例"), reason: _("原因"), resolution: _("处理结果"),
  room_id: _("直播间"), rule: _("规则"), sections: _("内容"), seed: _("随机种子"), target: _("对象"),
  through_seq: _("截至序号"), verify: _("校验哈希链"), start: _("开始"), end: _("结束"), format: _("格式"),
  after_seq: _("起始序号"), rows: _("条数"), limit: _("上限"), order_id: _("订单"), user_id: _("用户"),
  shop_id: _("店铺"), product_id: _("商品"), status: _("状态"), title: _("标题"), text: _("内容"), minutes: _("分钟"),
  report_id: _("举报编号"), after_id: _("起始编号"), ladder_step: _("处罚阶梯"), until: _("截止时间"), subject: _("对象"), comment_id: _("评论"),
};

// What an audit reference ("user:42", "vault_card:tok_…", core/audit/log.py) points at.
const REFERENCE_KINDS = {
  user: (id) => _("用户 {id}", { id }),
  shop: (id) => _("店铺 {id}", { id }),
  product: (id) => _("商品 {id}", { id }),
  order: (id) => _("订单 {id}", { id }),
  report: (id) => _("举报 {id}", { id }),
  penalty: (id) => _("处罚 {id}", { id }),
  comment: (id) => _("评论 {id}", { id }),
  coupon: (id) => _("优惠券 {id}", { id }),
  payment: (id) => _("支付 {id}", { id }),
  flash_sale: (id) => _("秒杀 {id}", { id }),
  after_sale: (id) => _("售后 {id}", { id }),
  red_packet: (id) => _("红包 {id}", { id }),
  room: (id) => _("直播间 {id}", { id }),
};
// References without a number: the system's actors and what a regulator reads.
const REFERENCES = {
  audit_log: _("审计日志"), statistics: _("违规统计"), penalties: _("处罚记录"), inspections: _("抽检记录"),
  retention: _("到期清理"), cli: _("命令行"), system: _("系统"), "system:cli": _("系统（命令行）"), "system:ladder": _("系统（处罚阶梯）"),
  "system:retention": _("系统（到期清理）"), "inspections:product": _("商品抽检"), "inspections:order": _("订单抽检"),
};
const REFERENCE = /^([a-z_]+):(.+)$/;

/** An audit reference in words: 用户 4 for "user:4", 银行卡 …8VyH for a vault card's token. */
export function referenceLabel(reference) {
  const text = String(reference ?? "");
  if (Object.hasOwn(REFERENCES, text)) return REFERENCES[text];
  const match = REFERENCE.exec(text);
  if (!match) return _("记录");
  const [, kind, id] = match;
  if (kind === "vault_card") return _("银行卡 …{tail}", { tail: id.replace(/[^A-Za-z0-9]/g, "").slice(-4) });
  if (Object.hasOwn(REFERENCE_KINDS, kind) && /^\d+$/.test(id)) return REFERENCE_KINDS[kind](id);
  return _("记录");
}

/** A reference as a cell's content: its words, the stored reference as the title (exports
 * and the CLI show it, so a regulator can match them). */
export function referenceNode(reference) {
  return el("span", { className: "audit-ref", text: referenceLabel(reference), attrs: { title: String(reference ?? "") } });
}

export function actionLabel(action) {
  const penalty = action.startsWith("enforcement.") ? PENALTIES[action.slice("enforcement.".length)] : null;
  return ACTIONS[action] || (penalty ? _("处罚：{penalty}", { penalty }) : action);
}

function valueText(value) {
  if (value === null || value === undefined || value === "") return _("无");
  if (value === true) return _("是");
  if (value === false) return _("否");
  if (isIsoMoment(value)) return fullDateTime(value); // a range's start and end, a penalty's until
  if (typeof value === "string" && REFERENCE.test(value)) return referenceLabel(value); // an author's user:7
  if (Array.isArray(value)) return value.map(valueText).join(_("、")) || _("无");
  if (typeof value === "object") return Object.entries(value).map(([key, inner]) => _("{name}：{value}", { name: KEYS[key] || key, value: valueText(inner) })).join(_("；"));
  return String(value);
}

/** The details as a <dl>: one 名称 / 值 pair per key, nested values written out. */
export function detailsList(details) {
  const entries = details && typeof details === "object" ? Object.entries(details) : [];
  if (!entries.length) return el("span", { className: "muted", text: _("无") });
  return el(
    "dl",
    { className: "audit-kv" },
    entries.flatMap(([key, value]) => [el("dt", { text: KEYS[key] || key }), el("dd", { text: valueText(value) })]),
  );
}
