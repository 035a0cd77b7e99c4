// Account security, passkeys: the buyer's passkeys (this device marked, trusted or not), adding
// one on this device, trusting and revoking, and the daily limit for paying without a step-up.
import { _, api, el, formatPrice, parsePrice, shortDateTime, toast } from "./common.js";
import { createPasskey, deviceId, passkeyError, passkeysSupported } from "./passkeys.js";

const $ = (id) => document.getElementById(id);

function showError(error) {
  $("passkey-error").textContent = passkeyError(error);
  $("passkey-error").hidden = false;
}

async function run(action) {
  $("passkey-error").hidden = true;
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

function passkeyItem(passkey) {
  const trustLabel = passkey.trusted ? _("取消信任") : _("信任此设备");
  const trust = el("button", { className: "btn btn-small", text: trustLabel, attrs: { type: "button" } });
  trust.addEventListener("click", () =>
    run(async () => {
      await api("PATCH", `/api/me/passkeys/${passkey.id}`, { trusted: !passkey.trusted });
      await loadPasskeys();
    }),
  );
  const revoke = el("button", { className: "btn btn-small btn-danger", text: _("删除"), attrs: { type: "button" } });
  revoke.addEventListener("click", () =>
    run(async () => {
      await api("DELETE", `/api/me/passkeys/${passkey.id}`);
      toast(_("通行密钥已删除"));
      await loadPasskeys();
    }),
  );
  const tags = [passkey.this_device ? _("本机") : null, passkey.trusted ? _("已信任") : null].filter(Boolean);
  const used = passkey.last_used_at ? _("上次使用 {time}", { time: shortDateTime(passkey.last_used_at) }) : _("尚未使用");
  return el("li", { className: "passkey-item", attrs: { "data-trusted": String(passkey.trusted) } }, [
    el("div", {}, [
      el("strong", { className: "passkey-name", typed: passkey.name }),
      ...tags.map((tag) => el("span", { className: "tag", text: tag })),
      el("p", { className: "muted", text: _("添加于 {time}", { time: shortDateTime(passkey.created_at) }) + " · " + used }),
    ]),
    el("div", { className: "passkey-actions" }, [trust, revoke]),
  ]);
}

async function loadPasskeys() {
  const passkeys = await api("GET", "/api/me/passkeys");
  $("passkey-list").replaceChildren(...passkeys.map(passkeyItem));
  $("passkey-empty").hidden = passkeys.length > 0;
  $("passkeys").dataset.state = passkeys.length ? "registered" : "none";
}

async function loadLimit() {
  const limit = await api("GET", "/api/me/seamless-limit");
  $("seamless-limit").value = String(limit.daily_limit / 100);
  $("seamless-status").textContent = limit.daily_limit
    ? _("已开启：每日 {limit}，今日已用 {spent}，剩余 {left}（平台上限 {max}）", { limit: formatPrice(limit.daily_limit), spent: formatPrice(limit.spent_today), left: formatPrice(limit.remaining), max: formatPrice(limit.platform_max) })
    : _("未开启（平台上限 {max}）", { max: formatPrice(limit.platform_max) });
}

$("passkey-add-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(async () => {
    deviceId({ create: true }); // this browser names itself from now on (common.js sends it)
    const options = await api("POST", "/api/me/passkeys/registration-options");
    const credential = await createPasskey(options);
    const body = { credential, name: $("passkey-name").value.trim() || _("我的设备"), trusted: $("passkey-trusted").checked };
    await api("POST", "/api/me/passkeys", body);
    toast(_("通行密钥已添加"));
    await loadPasskeys();
  });
});

$("seamless-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const amount = parsePrice($("seamless-limit").value);
  if (amount === null) {
    showError({ message: _("请输入金额，例如 200") });
    return;
  }
  run(async () => {
    await api("PUT", "/api/me/seamless-limit", { daily_limit: amount });
    toast(_("每日免密额度已保存"));
    await loadLimit();
  });
});

if (!passkeysSupported()) {
  $("passkey-unsupported").hidden = false;
  $("passkey-add").disabled = true;
}
run(() => Promise.all([loadPasskeys(), loadLimit()]));
