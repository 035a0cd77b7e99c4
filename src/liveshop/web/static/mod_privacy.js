// My privacy: consents granted and withdrawn with one click each, my data as a JSON download
// (a plain link to GET /api/me/export), and deleting my account confirmed with my password.
import { _, api, el, shortDateTime, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const root = $("privacy-root");

const PURPOSES = {
  personalised_recommendations: [_("个性化推荐"), _("根据您的浏览和购买记录推荐直播间和商品")],
  marketing_messages: [_("营销消息"), _("向您发送优惠和活动消息")],
  stored_cards: [_("保存银行卡"), _("保存银行卡以便下次快捷支付（敏感个人信息）")],
  location: [_("位置信息"), _("使用您的位置推荐附近的直播和配送（敏感个人信息）")],
};

const ERRORS = {
  sensitive_consent_required: _("敏感个人信息需单独同意"),
  wrong_password: _("密码不正确"),
  bad_password: _("密码不正确"),
};

function message(error) {
  return ERRORS[error.code] || error.message || _("操作失败");
}

function showError(id, error) {
  $(id).textContent = message(error);
  $(id).hidden = false;
}

function consentRow(status) {
  const [label, description] = PURPOSES[status.purpose] || [status.purpose, ""];
  const name = el("td", {}, [
    el("strong", { text: label }),
    status.sensitive ? el("span", { className: "tag tag-notice", text: _("敏感") }) : null,
    el("div", { className: "muted", text: description }),
  ]);
  const state = el("td", { className: "consent-state", text: status.granted ? _("已同意") : _("未同意") });
  const version = el("td", { text: status.policy_version || status.current_policy_version });
  const when = status.granted ? _("同意于 {time}", { time: shortDateTime(status.granted_at) }) : status.withdrawn_at ? _("撤回于 {time}", { time: shortDateTime(status.withdrawn_at) }) : "";
  const button = el("button", {
    className: status.granted ? "btn consent-toggle" : "btn btn-primary consent-toggle",
    text: status.granted ? _("撤回同意") : status.sensitive ? _("单独同意") : _("同意"),
    attrs: { type: "button" },
  });
  button.addEventListener("click", () => toggle(status, button));
  return el("tr", { className: "consent", dataset: { purpose: status.purpose, granted: String(status.granted) } }, [
    name,
    state,
    version,
    el("td", { text: when }),
    el("td", {}, [button]),
  ]);
}

async function toggle(status, button) {
  button.disabled = true;
  $("consents-error").hidden = true;
  try {
    if (status.granted) {
      await api("DELETE", `/api/me/consents/${encodeURIComponent(status.purpose)}`);
      toast(_("已撤回同意"));
    } else {
      // Clicking this purpose's own button is its separate consent (never bundled).
      await api("POST", "/api/me/consents", {
        purpose: status.purpose,
        policy_version: status.current_policy_version,
        acknowledge_sensitive: status.sensitive,
      });
      toast(_("已同意"));
    }
    await loadConsents();
  } catch (error) {
    showError("consents-error", error);
    button.disabled = false;
  }
}

async function loadConsents() {
  const statuses = await api("GET", "/api/me/consents");
  $("consents").tBodies[0].replaceChildren(...statuses.map(consentRow));
  root.dataset.state = "ready";
}

$("erase-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("erase-error").hidden = true;
  $("erase-submit").disabled = true;
  try {
    await api("POST", "/api/me/erase", { password: $("erase-password").value });
    $("erase-password").value = "";
    $("erase-form").hidden = true;
    $("erase-done").hidden = false;
    root.dataset.state = "erased";
    setTimeout(() => window.location.assign("/"), 1500);
  } catch (error) {
    showError("erase-error", error);
    $("erase-submit").disabled = false;
  }
});

loadConsents().catch((error) => showError("consents-error", error));
