// Buying inside the room: the address check, the best wallet coupons, the purchase calls
// (each click gets its own Idempotency-Key) and the order sheet, where the buyer pays.
import { _, api, el, idempotencyKey, toast } from "./common.js";
import { PaymentPanel } from "./pay_sheet.js";
import {
  bestCouponCodes,
  closeSheets,
  commerceError,
  expiryText,
  openSheet,
  ORDER_STATUS_LABELS,
  renderBreakdown,
} from "./commerce.js";

const $ = (id) => document.getElementById(id);

export class Checkout {
  constructor({ roomId, userId }) {
    this.roomId = roomId;
    this.userId = userId;
    this.addressId = null; // known once an address exists
    this.pending = null; // what to do after the address form is saved
    this.busy = false;
    this.payments = new PaymentPanel($("order-sheet"));
    $("address-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveAddress();
    });
  }

  get signedIn() {
    return this.userId !== null;
  }

  requireSignIn() {
    if (this.signedIn) return true;
    // the login page says why it asks, and comes back here afterwards
    location.href = `/login?next=${encodeURIComponent(location.pathname)}&why=buy`;
    return false;
  }

  /** True when the buyer has an address; otherwise opens the form and runs `then` after it. */
  async ensureAddress(then) {
    if (this.addressId !== null) return true;
    const addresses = await api("GET", "/api/addresses");
    const chosen = addresses.find((address) => address.is_default) || addresses[0];
    if (chosen) {
      this.addressId = chosen.id;
      return true;
    }
    this.pending = then;
    openSheet($("address-sheet"));
    $("addr-recipient").focus();
    return false;
  }

  async saveAddress() {
    const form = $("address-form");
    const body = Object.fromEntries(new FormData(form).entries());
    try {
      const address = await api("POST", "/api/addresses", { ...body, is_default: true });
      this.addressId = address.id;
    } catch (error) {
      toast(commerceError(error));
      return;
    }
    closeSheets();
    const then = this.pending;
    this.pending = null;
    if (then) then();
  }

  async couponCodes({ shopId, productId, subtotal }) {
    if (shopId === null || shopId === undefined) return [];
    const wallet = await api("GET", "/api/coupons/mine");
    return bestCouponCodes(wallet, { shopId, productId, subtotal });
  }

  /**
   * Place an order with the best coupons; if the server refuses a coupon, buy without it.
   * `send(body, key)` makes the call; a fresh key per attempt (the body differs).
   */
  async place(send, body, coupon) {
    const codes = coupon ? await this.couponCodes(coupon) : [];
    try {
      return await send({ ...body, coupon_codes: codes }, idempotencyKey());
    } catch (error) {
      if (codes.length && String(error.code).startsWith("coupon_")) {
        return send({ ...body, coupon_codes: [] }, idempotencyKey());
      }
      throw error;
    }
  }

  /** Buy the pinned product now; resolves to the order, or null when it did not happen. */
  async buyNow({ skuId, price, shopId, productId }) {
    const body = { quantity: 1, address_id: this.addressId };
    if (skuId !== null) body.sku_id = skuId;
    const send = (payload, key) =>
      api("POST", `/api/rooms/${this.roomId}/buy-now`, payload, { "Idempotency-Key": key });
    return this.run(() => this.place(send, body, { shopId, productId, subtotal: price }));
  }

  /** Buy one unit of a shelf SKU as a normal order placed in this room. */
  async buySku({ skuId, price, shopId, productId }) {
    const body = { items: [{ sku_id: skuId, quantity: 1 }], room_id: this.roomId, address_id: this.addressId };
    const send = (payload, key) => api("POST", "/api/orders", payload, { "Idempotency-Key": key });
    return this.run(() => this.place(send, body, { shopId, productId, subtotal: price }));
  }

  async buyFlashSale(saleId) {
    return this.run(() =>
      api("POST", `/api/flash-sales/${saleId}/buy`, { quantity: 1 }, { "Idempotency-Key": idempotencyKey() }),
    );
  }

  /** One purchase at a time; errors are thrown to the caller after the toast. */
  async run(purchase) {
    if (this.busy) return null;
    this.busy = true;
    try {
      const order = await purchase();
      this.showOrder(order);
      return order;
    } catch (error) {
      toast(commerceError(error));
      throw error;
    } finally {
      this.busy = false;
    }
  }

  showOrder(order) {
    this.showOrderStatus(order);
    $("order-sheet-breakdown").replaceChildren(renderBreakdown(order), el("p", { className: "muted order-no", text: _("订单号 {number}", { number: order.id }) }));
    openSheet($("order-sheet"));
    if (order.status === "pending_payment") this.payments.open(this.paymentJob(order));
    else this.payments.hide();
  }

  showOrderStatus(order) {
    const status = $("order-sheet-status");
    status.textContent = ORDER_STATUS_LABELS[order.status] || order.status;
    status.className = `order-status status-${order.status}`;
    status.dataset.status = order.status;
    $("order-sheet-expiry").textContent = expiryText(order);
    // The heading and the hold note speak of the order as it is now, not as it was submitted.
    const waiting = order.status === "pending_payment";
    $("order-sheet-title").textContent = waiting ? _("订单已提交") : order.status === "paid" ? _("支付成功") : ORDER_STATUS_LABELS[order.status] || _("订单");
    $("order-sheet-hold").hidden = !waiting;
  }

  /** What the payment panel needs to pay this order, and what to do once it is paid. */
  paymentJob(order) {
    return {
      subject: _("支付"), // the breakdown above already says 实付
      amount: order.total,
      currency: order.currency,
      start: (choice, key) => api("POST", "/api/payments", { order_id: order.id, ...choice }, { "Idempotency-Key": key }),
      returnPath: (payment) => `/rooms/${this.roomId}?order=${order.id}&payment=${payment.id}`,
      link: { href: "/orders", text: _("查看订单") },
      onSettled: async (payment) => {
        if (payment.status !== "succeeded") return;
        const paid = await api("GET", `/api/orders/${order.id}`).catch(() => null);
        this.showOrderStatus(paid || { ...order, status: "paid" });
      },
    };
  }

  /** Back from the wallet provider: show the order and wait for the payment's outcome. */
  async resumePayment(orderId, paymentId) {
    let order;
    try {
      order = await api("GET", `/api/orders/${orderId}`);
    } catch (error) {
      toast(commerceError(error));
      return;
    }
    this.showOrderStatus(order);
    $("order-sheet-breakdown").replaceChildren(renderBreakdown(order), el("p", { className: "muted order-no", text: _("订单号 {number}", { number: order.id }) }));
    await this.payments.resume(this.paymentJob(order), paymentId);
  }
}
