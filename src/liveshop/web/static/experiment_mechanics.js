// An experiment's page: the merchant changes a tested coupon's depths or countdowns, or
// detaches the experiment, while no viewer has been shown a variant (the server refuses after: 409).
import { _, api, parsePrice, toast } from "./common.js";

const ERRORS = {
  experiment_exposed: _("已有观众看到了分组后的玩法，不能再更改或解除"),
  depth_out_of_range: _("面额要在 1 和优惠券原面额之间"),
  coupon_already_offered: _("优惠券已被领取或已结束"),
  seconds_out_of_range: _("倒计时要在 5 秒到 1 天之间"),
};

function refusal(error) {
  return ERRORS[error.code] || error.message;
}

function valuesOf(form, kind, percent) {
  const values = {};
  for (const input of form.querySelectorAll("input")) {
    const value = kind === "coupon_depth" && !percent ? parsePrice(input.value) : Number(input.value);
    if (value === null || !Number.isInteger(value)) return null;
    values[input.name] = value;
  }
  return values;
}

const experimentId = document.getElementById("experiment").dataset.experimentId;
// kind -> [its experiment's route, the body's field for a change (none: detach only)]
const ROUTES = {
  coupon_depth: [(id) => `/api/coupons/${id}/experiment`, "depths"],
  coupon_countdown: [(id) => `/api/coupons/${id}/countdown-experiment`, "seconds"],
  landing: [(code) => `/api/links/${code}/experiment`, null],
};

function setUp(item) {
  const form = item.querySelector(".mechanic-form");
  const route = ROUTES[item.dataset.kind];
  if (!form || !route) return;
  const url = route[0](item.dataset.target.split(":")[1]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = valuesOf(form, item.dataset.kind, item.dataset.percent === "true");
    if (values === null) {
      toast(_("请填写每组的数值"));
      return;
    }
    try {
      await api("PUT", url, { experiment_id: Number(experimentId), [route[1]]: values });
      location.reload();
    } catch (error) {
      toast(refusal(error));
    }
  });
  item.querySelector(".mechanic-detach").addEventListener("click", async () => {
    try {
      await api("DELETE", url);
      location.reload();
    } catch (error) {
      toast(refusal(error));
    }
  });
}

for (const item of document.querySelectorAll("#mechanics .mechanic")) setUp(item);

const attach = document.getElementById("attach-coupon");
if (attach) {
  attach.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = attach.elements.kind.value;
    const couponId = Number(attach.elements.coupon.value);
    try {
      const coupon = await api("GET", `/api/coupons/${couponId}`);
      const byPrice = kind === "coupon_depth" && coupon.kind !== "percent";
      const values = {};
      for (const input of attach.querySelectorAll("input[data-variant]")) {
        const value = byPrice ? parsePrice(input.value) : Number(input.value);
        if (value === null || !Number.isInteger(value)) throw new Error(_("请填写每组的数值"));
        values[input.dataset.variant] = value;
      }
      const [route, field] = ROUTES[kind];
      await api("PUT", route(couponId), { experiment_id: Number(experimentId), [field]: values });
      location.reload();
    } catch (error) {
      toast(refusal(error));
    }
  });
}
