// My orders: statuses and totals, pay or cancel while unpaid, confirm delivery, ask for a refund
// or return, send a return back; my after-sales requests and my coupon wallet.
import { _, api, el, formatPrice, shortDateTime, toast } from "./common.js";
import {
  AFTER_SALE_KIND_LABELS,
  AFTER_SALE_STATUS_LABELS,
  bindSheets,
  commerceError,
  couponTerms,
  expiryText,
  statusBadge,
} from "./commerce.js";
import { PaymentPanel } from "./pay_sheet.js";

const $ = (id) => document.getElementById(id);
const AFTER_SALE_OPEN = new Set(["paid", "shipped", "delivered", "completed"]);
const CONFIRM_MS = 3000; // a destructive button asks "确认？" for this long

let orders = [];
let afterSales = [];
let filter = "";
const payments = new PaymentPanel($("pay-sheet"));

function paymentJob(order) {
  return {
    subject: _("实付"),
    amount: order.total,
    currency: order.currency,
    start: (choice, key) => api("POST", "/api/payments", { order_id: order.id, ...choice }, { "Idempotency-Key": key }),
    returnPath: (payment) => `/orders?order=${order.id}&payment=${payment.id}`,
    onSettled: () => load().catch(() => null),
  };
}

function openPayment(order) {
  $("pay-order-no").textContent = _("订单号 {number}", { number: order.id });
  payments.open(paymentJob(order));
}

/** Back from the third-party wallet's page: show how the payment ended. */
async function resumePayment() {
  const query = new URLSearchParams(location.search);
  const orderId = Number(query.get("order"));
  const paymentId = Number(query.get("payment"));
  if (!Number.isSafeInteger(orderId) || !Number.isSafeInteger(paymentId) || orderId <= 0 || paymentId <= 0) return;
  history.replaceState(null, "", location.pathname);
  try {
    const order = await api("GET", `/api/orders/${orderId}`);
    $("pay-order-no").textContent = _("订单号 {number}", { number: order.id });
    payments.resume(paymentJob(order), paymentId);
  } catch (error) {
    toast(commerceError(error));
  }
}

function button(label, className, action) {
  const node = el("button", { className: `btn btn-small ${className}`, text: label, attrs: { type: "button" } });
  node.addEventListener("click", action);
  return node;
}

/** Two clicks for what cannot be undone; no window.confirm (blocked in some in-app browsers). */
function confirmingButton(label, className, action) {
  let armed = 0;
  const node = button(label, className, () => {
    if (!armed) {
      node.textContent = _("确认{action}？", { action: label });
      node.classList.add("is-armed");
      armed = setTimeout(() => {
        armed = 0;
        node.textContent = label;
        node.classList.remove("is-armed");
      }, CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    armed = 0;
    action();
  });
  return node;
}

async function act(promise, success) {
  try {
    const result = await promise;
    if (success) toast(success);
    await load();
    return result;
  } catch (error) {
    toast(commerceError(error));
    return null;
  }
}

function afterSaleForm(order) {
  const kind = el("select", { className: "as-kind", attrs: { "aria-label": _("售后类型") } }, [
    el("option", { text: _("仅退款"), attrs: { value: "refund" } }),
    el("option", { text: _("退货退款"), attrs: { value: "return" } }),
  ]);
  if (order.status === "paid") kind.disabled = true; // nothing shipped: only a refund
  const reason = el("input", { className: "as-reason", attrs: { required: "", maxlength: 500, placeholder: _("申请原因，例如：不想要了"), "aria-label": _("申请原因") } });
  const form = el("form", { className: "inline-row as-form" }, [
    kind,
    reason,
    el("button", { className: "btn btn-small btn-primary as-submit", text: _("提交申请"), attrs: { type: "submit" } }),
  ]);
  form.hidden = true;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text) return;
    act(api("POST", `/api/orders/${order.id}/after-sales`, { kind: kind.value, reason: text }), _("售后申请已提交"));
  });
  return form;
}

function renderOrder(order) {
  const li = el("li", { className: "order-card", dataset: { orderId: order.id, status: order.status } });
  li.append(
    el("header", { className: "order-head" }, [
      el("a", { className: "order-no order-detail-link", text: _("订单号 {number}", { number: order.id }) + " ›", attrs: { href: `/orders/${order.id}`, "aria-label": _("订单 {number} 详情", { number: order.id }) } }),
      el("span", { className: "muted", text: shortDateTime(order.created_at) }),
      order.room_id ? el("a", { className: "order-room", text: _("直播间下单"), attrs: { href: `/rooms/${order.room_id}` } }) : null,
      order.flash_sale_id ? el("span", { className: "tag tag-notice", text: _("秒杀") }) : null,
      statusBadge(order.status),
    ]),
    el("ul", { className: "order-items" }, order.items.map((item) =>
      el("li", {}, [
        el("span", { className: "order-item-title", typed: item.title }),
        el("span", { className: "muted", text: ` ${formatPrice(item.unit_price, order.currency)} × ${item.quantity}` }),
      ]),
    )),
  );
  const totals = el("p", { className: "order-totals" }, [
    order.discount_total ? el("span", { className: "muted order-discount", text: _("已优惠 {amount}", { amount: formatPrice(order.discount_total, order.currency) }) + " · " }) : null,
    el("span", { text: _("实付 ") }),
    el("strong", { className: "order-total", text: formatPrice(order.total, order.currency) }),
  ]);
  li.append(totals);
  const expiry = expiryText(order);
  if (expiry) li.append(el("p", { className: "order-expiry muted", text: expiry }));
  if (order.tracking_number) {
    li.append(el("p", { className: "order-tracking" }, [
      el("span", { text: _("运单号 {number}", { number: order.tracking_number }) + " " }),
      el("a", { className: "track-link", text: _("查看物流"), attrs: { href: `/orders/${order.id}/tracking` } }),
    ]));
  }
  const actions = el("div", { className: "order-actions" });
  if (order.status === "pending_payment") {
    actions.append(button(_("去支付"), "btn-primary pay-btn", () => openPayment(order)));
    actions.append(confirmingButton(_("取消订单"), "cancel-btn", () => act(api("POST", `/api/orders/${order.id}/cancel`, { reason: _("买家取消") }), _("订单已取消"))));
  }
  if (order.status === "shipped") {
    actions.append(button(_("确认收货"), "btn-primary confirm-btn", () => act(api("POST", `/api/orders/${order.id}/confirm-delivery`), _("已确认收货"))));
  }
  if (order.status === "delivered") {
    actions.append(button(_("完成订单"), "complete-btn", () => act(api("POST", `/api/orders/${order.id}/complete`), _("订单已完成"))));
  }
  const hasOpenRequest = afterSales.some((request) => request.order_id === order.id && !["rejected", "closed"].includes(request.status));
  if (AFTER_SALE_OPEN.has(order.status) && !hasOpenRequest) {
    const form = afterSaleForm(order);
    actions.append(button(_("申请售后"), "refund-btn", () => {
      form.hidden = !form.hidden;
      if (!form.hidden) form.querySelector(".as-reason").focus();
    }));
    li.append(actions, form);
  } else {
    li.append(actions);
  }
  return li;
}

function renderAfterSale(request) {
  const li = el("li", { className: "order-card after-sale", dataset: { afterSaleId: request.id, status: request.status } }, [
    el("header", { className: "order-head" }, [
      el("span", { className: "order-no", text: _("售后 {number} · 订单 {order}", { number: request.id, order: request.order_id }) }),
      el("span", { className: "tag tag-host", text: AFTER_SALE_KIND_LABELS[request.kind] || request.kind }),
      el("span", { className: `order-status as-status-${request.status}`, text: AFTER_SALE_STATUS_LABELS[request.status] || request.status }),
    ]),
    el("p", {}, [el("span", { className: "muted", text: _("原因：") }), el("span", { typed: request.reason })]),
    el("p", {}, [el("span", { className: "muted", text: _("退款金额 ") }), el("strong", { text: formatPrice(request.amount) })]),
  ]);
  if (request.rejection_reason) li.append(el("p", { className: "as-rejection" }, [el("span", { className: "muted", text: _("商家说明：") }), el("span", { typed: request.rejection_reason })]));
  if (request.status === "awaiting_return") {
    const tracking = el("input", { className: "return-tracking", attrs: { required: "", pattern: "[A-Za-z0-9\\-]{4,64}", placeholder: _("退货运单号"), "aria-label": _("退货运单号") } });
    const form = el("form", { className: "inline-row" }, [tracking, el("button", { className: "btn btn-small btn-primary", text: _("已寄回"), attrs: { type: "submit" } })]);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(api("POST", `/api/after-sales/${request.id}/return-shipment`, { tracking_number: tracking.value.trim() }), _("已提交退货运单"));
    });
    li.append(form);
  }
  if (request.status === "rejected") {
    li.append(button(_("申请平台介入"), "escalate-btn", () => act(api("POST", `/api/after-sales/${request.id}/escalate`), _("已申请平台介入"))));
  }
  return li;
}

function renderWallet(wallet) {
  $("wallet-empty").hidden = wallet.length > 0;
  $("wallet").replaceChildren(
    ...wallet.map((held) => {
      const coupon = held.coupon;
      const used = held.order_id !== null;
      const face = coupon.kind === "percent" ? _("{discount}折", { discount: (100 - coupon.percent) / 10, percent: coupon.percent }) : formatPrice(coupon.amount);
      return el("li", { className: `wallet-coupon${used ? " is-used" : ""}`, dataset: { couponId: coupon.id, code: coupon.code } }, [
        el("span", { className: "coupon-face", text: face }),
        el("span", { className: "coupon-body" }, [
          el("b", { className: "coupon-name", typed: coupon.name }),
          el("small", { className: "coupon-terms", text: couponTerms(coupon) }),
          el("small", { className: "muted", text: _("有效期至 {time}", { time: shortDateTime(coupon.ends_at) }) }),
        ]),
        el("span", { className: "wallet-state", text: used ? _("已用于订单 {number}", { number: held.order_id }) : _("可使用") }),
      ]);
    }),
  );
}

function renderOrders() {
  const shown = orders.filter((order) => {
    if (!filter) return true;
    if (filter === "after_sale") return afterSales.some((request) => request.order_id === order.id);
    return order.status === filter;
  });
  $("orders-empty").hidden = shown.length > 0;
  $("order-list").replaceChildren(...shown.map(renderOrder));
}

async function load() {
  const [mine, requests, wallet] = await Promise.all([
    api("GET", "/api/orders?scope=mine"),
    api("GET", "/api/after-sales?scope=mine"),
    api("GET", "/api/coupons/mine"),
  ]);
  orders = mine;
  afterSales = requests;
  renderOrders();
  $("after-sales-empty").hidden = afterSales.length > 0;
  $("after-sale-list").replaceChildren(...afterSales.map(renderAfterSale));
  renderWallet(wallet);
}

for (const tab of document.querySelectorAll("#order-tabs .tab")) {
  tab.addEventListener("click", () => {
    filter = tab.dataset.filter;
    for (const other of document.querySelectorAll("#order-tabs .tab")) other.classList.toggle("active", other === tab);
    renderOrders();
  });
}

bindSheets();
load().catch((error) => toast(commerceError(error)));
resumePayment();
