// The sign-in's second step (/login after a right password the risk checks step up): send a
// code to the account's email, or confirm with a passkey bound to this sign-in. Every answer
// is posted by its form to /login/verify, which signs in.
import { _, api } from "./common.js";
import { passkeyError, passkeysSupported, usePasskey } from "./passkeys.js";

const $ = (id) => document.getElementById(id);
const challenge = $("step-up").dataset.challenge;

const ERRORS = {
  email_code_sent: _("验证码刚刚已发送，请稍候再试"),
  too_many_email_codes: _("发送次数过多，请换一种方式，或稍后重新登录"),
  login_challenge_invalid: _("本次登录已过期，请重新登录"),
};

function showError(message) {
  $("step-up-error").textContent = message;
  $("step-up-error").hidden = false;
}

function waitToResend(button, seconds) {
  let left = seconds;
  button.disabled = true;
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = _("重新发送验证码");
      return;
    }
    button.textContent = _("{seconds} 秒后可重新发送", { seconds: left });
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}

const send = $("email-send");
if (send) {
  send.addEventListener("click", async () => {
    $("step-up-error").hidden = true;
    send.disabled = true;
    try {
      const sent = await api("POST", "/api/auth/login/email-code", { login_challenge: challenge });
      $("email-sent").textContent = _("验证码已发送到 {email}，请查收邮件", { email: sent.sent_to });
      $("email-sent").hidden = false;
      $("email-code").focus();
      waitToResend(send, sent.resend_after_seconds);
    } catch (error) {
      showError(ERRORS[error.code] || _("发送失败，请稍后再试"));
      send.disabled = error.code === "too_many_email_codes" || error.code === "login_challenge_invalid";
      if (!send.disabled && error.code === "email_code_sent") waitToResend(send, 30);
    }
  });
  send.disabled = false;
}

const usePasskeyButton = $("passkey-use");
if (usePasskeyButton) {
  if (!passkeysSupported()) {
    $("passkey-unsupported").hidden = false;
  } else {
    usePasskeyButton.addEventListener("click", async () => {
      $("step-up-error").hidden = true;
      usePasskeyButton.disabled = true;
      try {
        const options = await api("POST", "/api/auth/login/passkey-options", { login_challenge: challenge });
        $("passkey-credential").value = JSON.stringify(await usePasskey(options));
        $("passkey-form").submit();
      } catch (error) {
        showError(ERRORS[error.code] || passkeyError(error));
        usePasskeyButton.disabled = false;
      }
    });
    usePasskeyButton.disabled = false;
  }
}
