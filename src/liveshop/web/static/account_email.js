// The account's email for a forgotten password's reset link (账户安全 page).
import { _, api, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const ERRORS = { email_taken: _("这个邮箱已绑定其他账户") };

async function load() {
  const mine = await api("GET", "/api/auth/me/email").catch(() => null);
  if (mine && mine.email) $("account-email-input").value = mine.email;
}

$("account-email-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const email = $("account-email-input").value.trim();
  try {
    await api("PUT", "/api/auth/me/email", { email: email || null });
    toast(email ? _("邮箱已保存") : _("已解除邮箱"));
  } catch (error) {
    toast(ERRORS[error.code] || (error.status === 422 ? _("邮箱格式不正确") : _("保存失败，请稍后再试")));
  }
});

load();
