// The cart page: change quantities, remove lines, the total (integer minor units from
// GET /api/cart, the same figures as the API), then checkout: one order per shop
// (POST /api/cart/checkout with an Idempotency-Key), each paid in the pay sheet.
import { _, api, el, formatPrice, idempotencyKey, itemsWords, toast } from "./common.js";
import { commerceError, skuLabel, statusBadge } from "./commerce.js";
import { PaymentPanel } from "./pay_sheet.js";

const $ = (id) => document.getElementById(id);
const payments = new PaymentPanel($("pay-sheet"));
let checkoutKey = null; // kept until the checkout answers: a retried click places nothing twice
let placed = [];

async function change(promise) {
  try {
    render(await promise);
  } catch (error) {
    toast(commerceError(error));
  }
}

function lineItem(line) {
  const quantity = el("input", {
    className: "cart-qty",
    attrs: { type: "number", min: 1, max: Math.max(1, Math.min(999, line.stock)), value: line.quantity, "aria-label": _("数量") },
  });
  quantity.addEventListener("change", () => {
    const value = Number(quantity.value);
    if (Number.isInteger(value) && value >= 1) change(api("PUT", `/api/cart/items/${line.sku_id}`, { quantity: value }));
  });
  const remove = el("button", { className: "btn btn-small btn-ghost cart-remove", text: _("删除"), attrs: { type: "button" } });
  remove.addEventListener("click", () => change(api("DELETE", `/api/cart/items/${line.sku_id}`)));
  const options = skuLabel(line.options);
  return el("li", { className: "cart-line", dataset: { skuId: line.sku_id } }, [
    el("div", {}, [
      el("p", { className: "cart-line-title" }, [el("a", { typed: line.title, attrs: { href: `/products/${line.product_id}` } })]),
      el("p", { className: "cart-line-meta", text: (options ? options + " · " : "") + _("单价 {price}", { price: formatPrice(line.unit_price) }) + (line.stock < line.quantity ? _(" · 库存不足") : "") }),
    ]),
    el("strong", { className: "cart-line-total", text: formatPrice(line.line_total) }),
    el("div", { className: "cart-line-controls" }, [el("label", { text: _("数量 ") }, [quantity]), remove]),
  ]);
}

function render(cart) {
  $("cart-lines").replaceChildren(...cart.lines.map(lineItem));
  $("cart-empty").hidden = cart.lines.length > 0;
  $("cart-bar").hidden = cart.lines.length === 0;
  $("cart-count").textContent = cart.count ? _("{count} 件", { count: cart.count }) : "";
  $("cart-total").textContent = formatPrice(cart.total, cart.currency);
  $("cart-total").dataset.minor = String(cart.total);
  $("cart-root").dataset.state = "ready";
}

function paymentJob(order) {
  return {
    subject: _("实付"),
    amount: order.total,
    currency: order.currency,
    start: (choice, key) => api("POST", "/api/payments", { order_id: order.id, ...choice }, { "Idempotency-Key": key }),
    returnPath: (payment) => `/orders?order=${order.id}&payment=${payment.id}`,
    onSettled: () => refreshOrders(),
  };
}

function pay(order) {
  $("pay-order-no").textContent = _("订单号 {number}", { number: order.id });
  payments.open(paymentJob(order));
}

function renderOrders() {
  $("cart-orders-section").hidden = placed.length === 0;
  $("cart-orders").replaceChildren(
    ...placed.map((order) => {
      const li = el("li", { className: "order-card", dataset: { orderId: order.id, status: order.status } }, [
        el("header", { className: "order-head" }, [el("span", { className: "order-no", text: _("订单号 {number}", { number: order.id }) }), statusBadge(order.status)]),
        el("p", {}, itemsWords(order.items)),
        el("p", {}, [el("span", { text: _("实付 ") }), el("strong", { className: "order-total", text: formatPrice(order.total, order.currency) })]),
      ]);
      if (order.status === "pending_payment") {
        const button = el("button", { className: "btn btn-small btn-primary cart-pay", text: _("去支付"), attrs: { type: "button" } });
        button.addEventListener("click", () => pay(order));
        li.append(button);
      }
      return li;
    }),
  );
}

async function refreshOrders() {
  placed = await Promise.all(placed.map((order) => api("GET", `/api/orders/${order.id}`)));
  renderOrders();
}

$("cart-checkout").addEventListener("click", async () => {
  checkoutKey ??= idempotencyKey();
  $("cart-checkout").disabled = true;
  try {
    const result = await api("POST", "/api/cart/checkout", {}, { "Idempotency-Key": checkoutKey });
    checkoutKey = null;
    placed = result.orders;
    renderOrders();
    render(await api("GET", "/api/cart"));
    toast(placed.length > 1 ? _("已按店铺生成 {count} 个订单", { count: placed.length }) : _("订单已提交"));
    pay(placed[0]);
  } catch (error) {
    toast(commerceError(error));
  } finally {
    $("cart-checkout").disabled = false;
  }
});

api("GET", "/api/cart").then(render, (error) => toast(commerceError(error)));
