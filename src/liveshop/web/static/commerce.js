// Commerce helpers shared by the room, the orders page, the merchant and host consoles:
// status labels, SKU labels, coupon descriptions, the price breakdown, bottom sheets.
// Everything user-supplied is set through textContent (el()).
import { _, el, formatPrice, itemsWords, shortDateTime } from "./common.js";

export const ORDER_STATUS_LABELS = {
  pending_payment: _("待支付"),
  paid: _("待发货"),
  shipped: _("已发货"),
  delivered: _("已签收"),
  completed: _("已完成"),
  cancelled: _("已取消"),
  refunded: _("已退款"),
};

export const AFTER_SALE_STATUS_LABELS = {
  requested: _("待商家处理"),
  awaiting_return: _("待买家退货"),
  return_shipped: _("退货运输中"),
  refunded: _("已退款"),
  rejected: _("已拒绝"),
  disputed: _("平台介入中"),
  closed: _("已关闭"),
};

export const AFTER_SALE_KIND_LABELS = { refund: _("仅退款"), return: _("退货退款") };

/** Error codes the commerce API answers with, in the viewer's words. */
export const COMMERCE_ERRORS = {
  not_authenticated: _("请先登录"),
  insufficient_stock: _("库存不足"),
  nothing_pinned: _("主播还没有上架讲解商品"),
  sold_out: _("已抢光"),
  purchase_limit: _("已达到限购数量"),
  too_early: _("还没开抢，请稍候"),
  coupons_gone: _("券已被抢光"),
  coupon_limit: _("你已经领过这张券了"),
  offer_expired: _("你的领券时间已过"),
  coupon_not_applicable: _("优惠券不适用于此订单"),
  draw_closed: _("福袋已截止"),
  already_entered: _("你已参与过这个福袋"),
  draw_not_due: _("还没到开奖时间"),
  price_not_below_reference: _("秒杀价必须低于近 30 天最低价"),
  illegal_transition: _("订单状态已变化，请刷新"),
};

export function commerceError(error) {
  return COMMERCE_ERRORS[error.code] || error.message || _("操作失败");
}

/** {"尺码": "M", "颜色": "黑"} -> "M · 黑"; a SKU without options is "默认". */
export function skuLabel(options) {
  const values = Object.values(options || {});
  return values.length ? values.join(" · ") : _("默认");
}

/** What a coupon takes off, in the words Chinese shoppers expect. */
export function couponTerms(coupon) {
  if (coupon.kind === "threshold") return _("满{threshold}减{amount}", { threshold: formatPrice(coupon.threshold), amount: formatPrice(coupon.amount) });
  if (coupon.kind === "percent") {
    const off = _("{discount}折", { discount: (100 - coupon.percent) / 10, percent: coupon.percent });
    return coupon.cap ? _("{discount}，最多减{cap}", { discount: off, cap: formatPrice(coupon.cap) }) : off;
  }
  return _("立减{amount}", { amount: formatPrice(coupon.amount) });
}

/** The discount a wallet coupon would give on `subtotal` (an estimate; the server decides). */
export function estimateDiscount(coupon, subtotal) {
  if (coupon.kind === "threshold") return subtotal >= coupon.threshold ? Math.min(coupon.amount, subtotal) : 0;
  if (coupon.kind === "percent") {
    const off = Math.floor((subtotal * coupon.percent) / 100);
    return coupon.cap ? Math.min(off, coupon.cap) : off;
  }
  return Math.min(coupon.amount, subtotal);
}

/**
 * The best unused wallet coupon codes for buying `subtotal` of `productId` from `shopId`:
 * at most one shop coupon and one platform coupon, as the server allows.
 */
export function bestCouponCodes(wallet, { shopId, productId, subtotal, now = Date.now() }) {
  const best = {};
  for (const held of wallet) {
    const coupon = held.coupon;
    if (held.order_id !== null) continue;
    if (Date.parse(coupon.starts_at) > now || Date.parse(coupon.ends_at) <= now) continue;
    if (coupon.issuer === "shop" && coupon.shop_id !== shopId) continue;
    if (coupon.product_id !== null && coupon.product_id !== productId) continue;
    const discount = estimateDiscount(coupon, subtotal);
    if (discount <= 0) continue;
    if (!best[coupon.issuer] || best[coupon.issuer].discount < discount) {
      best[coupon.issuer] = { code: coupon.code, discount };
    }
  }
  return Object.values(best).map((choice) => choice.code);
}

function row(label, value, className = "") {
  return el("div", { className: `breakdown-row ${className}`.trim() }, [
    el("span", { className: "breakdown-label" }, [label]),
    el("span", { className: "breakdown-value", text: value }),
  ]);
}

/** The order's price breakdown: lines, items total, each discount, shipping, total. */
export function renderBreakdown(order) {
  const currency = order.currency;
  const box = el("div", { className: "breakdown", dataset: { orderId: order.id } });
  for (const item of order.items) {
    box.append(row(el("span", {}, itemsWords([item])), formatPrice(item.unit_price * item.quantity, currency), "breakdown-line"));
  }
  box.append(row(_("商品金额"), formatPrice(order.items_total, currency), "breakdown-items"));
  const discounts = (order.pricing && order.pricing.discounts) || [];
  for (const discount of discounts) {
    box.append(row(discount.label ? el("span", { typed: discount.label }) : discount.code, `-${formatPrice(discount.amount, currency)}`, "breakdown-discount"));
  }
  box.append(row(_("运费"), order.shipping_fee ? formatPrice(order.shipping_fee, currency) : _("包邮"), "breakdown-shipping"));
  box.append(row(_("实付"), formatPrice(order.total, currency), "breakdown-total"));
  return box;
}

export function statusBadge(status) {
  return el("span", { className: `order-status status-${status}`, text: ORDER_STATUS_LABELS[status] || status });
}

export function expiryText(order) {
  return order.status === "pending_payment" && order.expires_at ? _("请在 {time} 前支付", { time: shortDateTime(order.expires_at) }) : "";
}

/** Bottom sheets: one open at a time, closed by the backdrop, the × button or Escape. */
export function openSheet(sheet) {
  for (const other of document.querySelectorAll(".sheet:not([hidden])")) if (other !== sheet) other.hidden = true;
  sheet.hidden = false;
  const backdrop = document.getElementById("sheet-backdrop");
  if (backdrop) backdrop.hidden = false;
}

export function closeSheets() {
  for (const sheet of document.querySelectorAll(".sheet")) sheet.hidden = true;
  const backdrop = document.getElementById("sheet-backdrop");
  if (backdrop) backdrop.hidden = true;
}

export function bindSheets() {
  const backdrop = document.getElementById("sheet-backdrop");
  if (backdrop) backdrop.addEventListener("click", closeSheets);
  for (const button of document.querySelectorAll("[data-close-sheet]")) button.addEventListener("click", closeSheets);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeSheets();
  });
}

/** Seconds in a form field -> an ISO time that many seconds from now. */
export function isoAfter(seconds) {
  return new Date(Date.now() + seconds * 1000).toISOString();
}
