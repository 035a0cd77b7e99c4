// Forgotten password: ask for a reset link by email (/forgot-password), then set a new
// password with the link's token (/reset-password?token=…).
import { _, api } from "./common.js";

const $ = (id) => document.getElementById(id);

const ERRORS = {
  too_many_reset_requests: _("请求太频繁，请稍后再试"),
  reset_link_invalid: _("链接无效、已使用或已过期，请重新申请"),
  bad_password: _("密码不符合要求，请换一个"),
  password_too_simple: _("密码太简单，请换一个更长、更难猜的密码"),
  password_too_common: _("这个密码太常见，请换一个"),
};

function showError(error) {
  $("reset-error").textContent = ERRORS[error.code] || (error.status === 422 ? _("请检查输入") : _("操作失败，请稍后再试"));
  $("reset-error").hidden = false;
}

const ask = $("reset-ask-form");
if (ask) {
  ask.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("reset-error").hidden = true;
    $("reset-ask-btn").disabled = true;
    try {
      await api("POST", "/api/auth/password-reset", { email: $("reset-email").value.trim() });
      ask.hidden = true;
      $("reset-sent").hidden = false;
    } catch (error) {
      showError(error);
    } finally {
      $("reset-ask-btn").disabled = false;
    }
  });
}

const reset = $("reset-form");
if (reset) {
  reset.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("reset-error").hidden = true;
    $("reset-btn").disabled = true;
    try {
      await api("POST", "/api/auth/password-reset/confirm", { token: reset.dataset.token, password: $("new-password").value });
      reset.hidden = true;
      $("reset-done").hidden = false;
    } catch (error) {
      showError(error);
    } finally {
      $("reset-btn").disabled = false;
    }
  });
}
