// An experiment's page: the merchant changes a tested coupon's depths or detaches the
// experiment, while no viewer has been shown a variant (the server refuses after: 409).
import { _, api, parsePrice, toast } from "./common.js";

const ERRORS = {
  experiment_exposed: _("已有观众看到了分组后的玩法，不能再更改或解除"),
  depth_out_of_range: _("面额要在 1 和优惠券原面额之间"),
  coupon_already_offered: _("优惠券已被领取或已结束"),
};

function refusal(error) {
  return ERRORS[error.code] || error.message;
}

function depthsOf(form, percent) {
  const depths = {};
  for (const input of form.querySelectorAll("input")) {
    const value = percent ? Number(input.value) : parsePrice(input.value);
    if (value === null || !Number.isInteger(value)) return null;
    depths[input.name] = value;
  }
  return depths;
}

const experimentId = document.getElementById("experiment").dataset.experimentId;

function setUp(item) {
  const form = item.querySelector(".mechanic-form");
  if (!form) return;
  const [kind, id] = item.dataset.target.split(":");
  if (kind !== "coupon") return;
  const url = `/api/coupons/${id}/experiment`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const depths = depthsOf(form, item.dataset.percent === "true");
    if (depths === null) {
      toast(_("请填写每组的面额"));
      return;
    }
    try {
      await api("PUT", url, { experiment_id: Number(experimentId), depths });
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
