// The coupon landing page's one tap: claim through promotions' grab API (its validity,
// stock, per-user limit and risk check decide), then say so in the page's language.
import { _, api } from "./common.js";
import { commerceError } from "./commerce.js";

const root = document.getElementById("coupon-root");
const button = document.getElementById("coupon-claim");
const state = document.getElementById("coupon-state");

if (root && button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", `/api/coupons/${root.dataset.couponId}/grab`);
      state.textContent = _("已领取「{coupon}」，下单自动使用", { coupon: root.dataset.couponName });
      button.textContent = _("已领取");
    } catch (error) {
      state.textContent = commerceError(error);
      button.disabled = error.status < 500; // a refusal stands; a failure may be retried
    }
  });
}
