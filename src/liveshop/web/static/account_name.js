// The name other people see (昵称), on the 账户安全 page: set, changed or cleared.
import { _, api, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
// accounts.display_names' refusals, in the page's words (as the sign-up page says them)
const ERRORS = {
  display_name_too_long: _("昵称最多 20 个字"),
  display_name_invalid: _("昵称里有不能显示的字符"),
  display_name_refused: _("这个昵称不能使用，请换一个"),
};

$("display-name-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const wanted = $("display-name-input").value.trim();
  const error = $("display-name-error");
  error.hidden = true;
  try {
    const user = await api("PUT", "/api/auth/me/display-name", { display_name: wanted || null });
    $("display-name-input").value = user.display_name || "";
    toast(user.display_name ? _("昵称已保存") : _("已清除昵称，将显示用户名"));
  } catch (failure) {
    error.textContent = ERRORS[failure.code] || failure.message;
    error.hidden = false;
  }
});
