// Money helpers shared by the payment sheet, the wallet, earnings and the room:
// labels in the buyer's words, reading a typed card, the saved methods.
import { _, api } from "./common.js";

export const DECLINE_LABELS = {
  card_declined: _("银行卡被拒绝，请换一张卡"),
  insufficient_funds: _("余额不足"),
  expired_card: _("银行卡已过期"),
  challenge_failed: _("验证失败次数过多，本次支付已关闭"),
  cancelled_by_buyer: _("你已取消支付"),
  network_timeout: _("网络超时"),
};

export const PAYMENT_ERRORS = {
  save_card_consent_required: _("保存银行卡需要您的同意：请勾选“保存此卡以便下次使用”"),
  wrong_code: _("验证码不正确，请重新输入"),
  second_factor_locked: _("验证错误次数过多，已暂时锁定，请稍后再试"),
  challenge_void: _("订单已变化，本次验证失效，请重新支付"),
  order_not_payable: _("订单已不是待支付状态"),
  order_held_for_review: _("订单正在安全审核中，审核通过后即可支付"),
  idempotency_conflict: _("请求冲突，请重试"),
  payment_in_progress: _("支付处理中，请稍候"),
  method_required: _("请选择一张银行卡"),
  method_not_allowed: _("不支持该支付方式"),
  top_up_out_of_range: _("单次充值 1 元至 5 万元"),
  partial_coin: _("金币按整数购买"),
  insufficient_funds: _("余额不足"),
  bad_card_number: _("卡号不正确"),
  bad_expiry: _("有效期不正确"),
  card_expired: _("银行卡已过期"),
  unsupported_card: _("暂不支持该卡"),
  bad_cvc: _("安全码不正确"),
  not_authenticated: _("请先登录"),
};

export function paymentError(error) {
  return PAYMENT_ERRORS[error.code] || error.message || _("操作失败");
}

export const BRAND_LABELS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", unionpay: _("银联"), jcb: "JCB", discover: "Discover" };

export function cardLabel(method) {
  return `${BRAND_LABELS[method.brand] || method.brand} •••• ${method.last4}`;
}

export const ACCOUNT_LABELS = { buyer_wallet: _("钱包"), buyer_coins: _("金币"), host_earnings: _("主播收益") };

export const MOVEMENT_LABELS = {
  top_up: _("充值"),
  order_paid: _("订单支付"),
  gift: _("礼物"),
  red_packet: _("发红包"),
  red_packet_grab: _("抢红包"),
  red_packet_return: _("红包退回"),
  order_refund: _("退款"),
  order_settled: _("订单结算"),
  late_payment_refund: _("退款"),
  moderation_fine: _("罚款"),
  moderation_fine_returned: _("罚款退回"),
};

export function movementLabel(kind) {
  return MOVEMENT_LABELS[kind] || _("其他"); // never the ledger's code
}

/** What a movement was about, in the page's words (the ledger's memo is English, for
 * engineers): the order a payment, refund or settlement was for. */
export function movementDetail(movement) {
  return movement.order_id ? _("订单号 {number}", { number: movement.order_id }) : "";
}

/** Saved cards, the default first (the server's order otherwise). */
export async function savedMethods() {
  const methods = await api("GET", "/api/payment-methods");
  return [...methods].sort((a, b) => Number(b.is_default) - Number(a.is_default));
}

/**
 * The card form's fields -> the API's body, or a message saying what is wrong.
 * "4242 4242 4242 4242", "12/34" (or "12/2034"), "123".
 */
export function readCard({ number, expiry, cvc, holder }) {
  const digits = String(number).replace(/[\s-]/g, "");
  if (!/^\d{12,19}$/.test(digits)) return { error: _("卡号应为 12 到 19 位数字") };
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(String(expiry));
  if (!match) return { error: _("有效期格式为 MM/YY") };
  const month = Number(match[1]);
  if (month < 1 || month > 12) return { error: _("有效期月份应为 1 到 12") };
  const year = match[2].length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  if (!/^\d{3,4}$/.test(String(cvc).trim())) return { error: _("安全码为 3 或 4 位数字") };
  return { body: { card_number: digits, exp_month: month, exp_year: year, cvc: String(cvc).trim(), holder: String(holder || "").trim() } };
}
