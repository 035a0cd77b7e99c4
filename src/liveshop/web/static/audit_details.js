// An audit entry as the regulator reads it: its action in Chinese and its details as a
// key/value list with Chinese names (issue 18), not the stored JSON. A key or action with no
// name here shows as stored.
import { el } from "./common.js";

const ACTIONS = {
  announce: "发布公告", block: "拦截", end: "下播", start: "开播", pin: "置顶讲解", reveal: "查看密钥",
  rotate: "轮换密钥", shred: "销毁密钥",
  "enforcement.appeal_filed": "提交申诉", "enforcement.revoked": "撤销处罚",
  "identity.verified": "实名认证", "inspection.sampled": "抽检取样", "listing.approve": "商品审核通过",
  "moderation.report_claimed": "认领举报", "privacy.erase": "删除个人信息", "privacy.export": "导出个人信息",
  "privacy.retention": "到期清理", "qualification.submitted": "提交资质", "regulator.read": "监管查阅",
  "vault.reveal": "查看银行卡信息",
  "chat.held_approved": "放行待审评论", "chat.held_rejected": "驳回待审评论",
  "enforcement.appeal_upheld": "申诉驳回（维持处罚）", "enforcement.appeal_overturned": "申诉成立（撤销处罚）",
  "inspection.pass": "抽检合格", "inspection.fail": "抽检不合格",
  "moderation.report_actioned": "举报已处理", "moderation.report_dismissed": "举报已驳回",
  "qualification.approved": "资质通过", "qualification.rejected": "资质驳回",
  "listing.reject": "商品审核驳回",
};

// enforcement.<kind>: a penalty of that kind
const PENALTIES = {
  delete_comment: "删除评论", mute: "禁言", warning: "警告", limit_exposure: "限流", stop_room: "关闭直播间",
  fine: "罚款", suspension: "暂停", ban: "封禁",
};

const KEYS = {
  adult: "成年", amount: "金额", anchor_hash: "锚定哈希", appeal_id: "申诉编号", author: "作者",
  category: "类目", findings: "发现", guardian_consent: "监护人同意", inspection_id: "抽检编号",
  kind: "类型", note: "备注", penalty_id: "处罚编号", picked: "抽中", points: "违规分",
  qualification_id: "资质编号", rate: "比例", reason: "原因", resolution: "处理结果",
  room_id: "直播间", rule: "规则", sections: "内容", seed: "随机种子", target: "对象",
  through_seq: "截至序号", verify: "校验哈希链", start: "开始", end: "结束", format: "格式",
  after_seq: "起始序号", rows: "条数", limit: "上限", order_id: "订单", user_id: "用户",
  shop_id: "店铺", product_id: "商品", status: "状态", title: "标题", text: "内容", minutes: "分钟",
  report_id: "举报编号", ladder_step: "处罚阶梯", until: "截止时间", subject: "对象", comment_id: "评论",
};

export function actionLabel(action) {
  const penalty = action.startsWith("enforcement.") ? PENALTIES[action.slice("enforcement.".length)] : null;
  return ACTIONS[action] || (penalty ? `处罚：${penalty}` : action);
}

function valueText(value) {
  if (value === null || value === undefined || value === "") return "无";
  if (value === true) return "是";
  if (value === false) return "否";
  if (Array.isArray(value)) return value.map(valueText).join("、") || "无";
  if (typeof value === "object") return Object.entries(value).map(([key, inner]) => `${KEYS[key] || key}：${valueText(inner)}`).join("；");
  return String(value);
}

/** The details as a <dl>: one 名称 / 值 pair per key, nested values written out. */
export function detailsList(details) {
  const entries = details && typeof details === "object" ? Object.entries(details) : [];
  if (!entries.length) return el("span", { className: "muted", text: "无" });
  return el(
    "dl",
    { className: "audit-kv" },
    entries.flatMap(([key, value]) => [el("dt", { text: KEYS[key] || key }), el("dd", { text: valueText(value) })]),
  );
}
